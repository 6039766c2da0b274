"""The intake dialogue engine on its own: no database, no network, a fixed clock."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.cases.classification import BusinessType, Channel
from core.cases.values import Attachment, CaseType
from core.channel.io import Choice, Input, Media, Option, SharedContact, Text, Unsupported
from core.customers.dialogue.effects import (
    AddToCase,
    AnswerCase,
    CommentOnRating,
    ForgetMe,
    ListCases,
    OfferAddition,
    OfferVoucher,
    RateCase,
    RedeemVoucher,
    ShowMyVouchers,
    ShowPoints,
    ShowPrivacy,
    ShowStatus,
    ShowVouchers,
    SubmitCase,
    Turn,
)
from core.customers.dialogue.engine import converse
from core.customers.dialogue.flow import DialogueSettings
from core.customers.dialogue.state import Awaiting, Dialogue, Material, Pending, Step
from core.messages import CATALOGS, t
from tests.factories import at

SETTINGS = DialogueSettings(branches=("Pudong Lujiazui", "Jing'an Temple"))
START = at("2026-11-02 10:00")


@dataclass
class Chat:
    """Plays a customer against the engine, one input a minute."""

    dialogue: Dialogue = field(default_factory=Dialogue)
    now: datetime = START
    last: Turn | None = None

    def say(self, message: Input | str, hint: str | None = None) -> Turn:
        if isinstance(message, str):
            message = Text(message)
        self.now += timedelta(minutes=1)
        self.last = converse(
            self.dialogue, message, now=self.now, settings=SETTINGS, language_hint=hint
        )
        self.dialogue = self.last.dialogue
        return self.last

    def press(self, key: str) -> Turn:
        return self.say(Choice(key))

    @property
    def text(self) -> str:
        assert self.last is not None
        return "\n".join(r.text for r in self.last.replies)

    @property
    def keys(self) -> list[str]:
        assert self.last is not None
        return [o.key for r in self.last.replies for o in r.options]

    @property
    def labels(self) -> list[str]:
        assert self.last is not None
        return [o.label for r in self.last.replies for o in r.options]


def complaint_up_to_summary(chat: Chat) -> None:
    chat.say("/start")
    chat.press("t:complaint")
    chat.press("b:debit_card")
    chat.press("r:0")
    chat.say("The ATM kept my card and nobody at the branch helped me.")
    chat.say(Media("photo", "AgACAgUAAx-photo-1", "the ATM"))
    chat.press("d:next")
    chat.say("Give my card back today")
    chat.press("c:yes")
    chat.say("张三")
    chat.say(SharedContact("8613812348000", "张三", is_own=True))


def test_a_complaint_from_greeting_to_submission() -> None:
    chat = Chat()
    chat.say("/start")
    assert "投诉" in chat.text and chat.keys == [
        "t:complaint",
        "t:suggestion",
        "t:praise",
        "m:status",
        "m:points",
    ]
    complaint_up_to_summary(chat)
    assert chat.dialogue.step is Step.SUMMARY
    assert chat.keys == ["s:submit", "s:edit", "s:cancel"]
    assert "138" in chat.text and "Pudong Lujiazui" in chat.text

    turn = chat.press("s:submit")
    assert isinstance(turn.effect, SubmitCase)
    assert turn.effect.type is CaseType.COMPLAINT
    assert turn.effect.business_type is BusinessType.DEBIT_CARD
    assert turn.effect.branch == "Pudong Lujiazui"
    assert turn.effect.channel is Channel.COUNTER  # a branch: its counter
    assert turn.effect.attachments == (Attachment("photo", "AgACAgUAAx-photo-1", "the ATM"),)
    assert turn.effect.desired_outcome == "Give my card back today"
    assert turn.effect.contact.name == "张三"
    assert turn.effect.contact.phone == "13812348000"
    assert turn.effect.contact.consent_at is not None
    assert turn.dialogue.step is Step.IDLE  # answered, ready for the next one


def test_online_business_is_asked_which_e_channel_and_an_edit_asks_it_again() -> None:
    chat = Chat()
    chat.press("t:complaint")
    chat.press("b:debit_card")
    chat.press("r:online")
    assert chat.dialogue.step is Step.ONLINE_CHANNEL
    assert chat.text == t("zh", "ask.online_channel")
    assert chat.keys == [
        "w:online_banking",
        "w:mobile_app",
        "w:public_platform",
        "w:phone",
        "w:self_service",
        "w:sms",
        "w:third_party",
        "w:other",
    ]
    assert "手机银行" in chat.labels and "mobile_app" not in " ".join(chat.labels)
    chat.press("w:counter")  # not an e-channel: asked again
    assert chat.dialogue.step is Step.ONLINE_CHANNEL and chat.dialogue.channel is None
    chat.say("2")  # WeChat: by number
    assert chat.dialogue.step is Step.DESCRIPTION and chat.dialogue.channel is Channel.MOBILE_APP
    chat.say("The app charged the card twice for one payment.")
    chat.press("d:next")
    chat.press("o:skip")
    chat.press("c:yes")
    chat.say("张三")
    chat.say("13812348000")
    assert "线上：手机银行" in chat.text
    # Editing where it happened: "online" goes through the e-channel again.
    chat.press("s:edit")
    chat.press("e:branch")
    chat.press("r:online")
    assert chat.dialogue.step is Step.ONLINE_CHANNEL
    chat.press("w:online_banking")
    assert chat.dialogue.step is Step.SUMMARY and "线上：网上银行" in chat.text
    turn = chat.press("s:submit")
    assert isinstance(turn.effect, SubmitCase)
    assert (turn.effect.branch, turn.effect.channel) == (None, Channel.ONLINE_BANKING)


def test_a_typed_branch_is_the_counter_and_survives_storage() -> None:
    chat = Chat()
    chat.press("t:complaint")
    chat.press("b:loans")
    chat.say("浦东陆家嘴支行")
    assert chat.dialogue.step is Step.DESCRIPTION and chat.dialogue.channel is Channel.COUNTER
    assert Dialogue.from_json(chat.dialogue.to_json()) == chat.dialogue


def test_numbers_and_words_answer_a_menu_as_on_wechat() -> None:
    chat = Chat()
    chat.say("2")  # suggestion
    assert chat.dialogue.case_type is CaseType.SUGGESTION
    chat.say("信用卡")
    assert chat.dialogue.business_type is BusinessType.CREDIT_CARD


def test_a_suggestion_skips_the_desired_outcome() -> None:
    chat = Chat()
    chat.press("t:suggestion")
    chat.press("b:payment_settlement")
    chat.press("r:online")
    chat.press("w:mobile_app")
    chat.say("Please let me name my regular transfer templates.")
    chat.press("d:next")
    assert chat.dialogue.step is Step.CONSENT
    assert "c:anon" not in chat.keys  # only praise may stay anonymous
    chat.say("no thanks")
    assert chat.dialogue.step is Step.CONSENT and "/cancel" in chat.text


def test_an_anonymous_praise() -> None:
    chat = Chat()
    chat.press("t:praise")
    chat.press("b:other")
    chat.say("Jing'an Temple")  # typed branch name
    chat.say("Ms Li at the counter was patient and kind.")
    chat.press("d:next")
    chat.press("c:anon")
    assert chat.dialogue.step is Step.SUMMARY
    turn = chat.press("s:submit")
    assert isinstance(turn.effect, SubmitCase)
    assert turn.effect.contact.is_anonymous and turn.effect.contact.consent_at is None
    assert turn.effect.branch == "Jing'an Temple"


@pytest.mark.parametrize(
    ("text", "key"),
    [("short", "description.too_short"), ("x" * 2001, "description.too_long")],
)
def test_description_length_is_checked(text: str, key: str) -> None:
    chat = Chat()
    chat.press("t:complaint")
    chat.press("b:loans")
    chat.press("r:online")
    chat.press("w:mobile_app")
    chat.say(text)
    assert chat.dialogue.step is Step.DESCRIPTION and chat.dialogue.description is None
    assert chat.text.startswith(CATALOGS["zh"][key].split("{")[0])


def test_more_text_is_appended_within_the_limit() -> None:
    chat = Chat()
    chat.press("t:complaint")
    chat.press("b:loans")
    chat.press("r:online")
    chat.press("w:mobile_app")
    chat.say("First part of the story.")
    chat.say("Second part.")
    assert chat.dialogue.description == "First part of the story.\nSecond part."
    chat.say("y" * 1990)
    assert chat.dialogue.description == "First part of the story.\nSecond part."
    assert "2000" in chat.text


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("138 1234 8000", "13812348000"),
        ("+86 138-1234-8000", "13812348000"),
        ("+44 7700 900123", "+447700900123"),
        ("１３８ １２３４ ８０００", "13812348000"),
    ],
)
def test_typed_phone_numbers_are_normalised(typed: str, stored: str) -> None:
    chat = Chat()
    complaint_up_to_name(chat)
    chat.say(typed)
    assert chat.dialogue.phone == stored and chat.dialogue.step is Step.SUMMARY


@pytest.mark.parametrize("typed", ["12345", "02112345678", "call me", "7700900123"])
def test_bad_phone_numbers_are_refused(typed: str) -> None:
    chat = Chat()
    complaint_up_to_name(chat)
    chat.say(typed)
    assert chat.dialogue.step is Step.PHONE and chat.dialogue.phone is None
    assert chat.last is not None and chat.last.replies[0].contact_button


def test_someone_elses_contact_is_refused() -> None:
    chat = Chat()
    complaint_up_to_name(chat)
    chat.say(SharedContact("13900001111", "李四", is_own=False))
    assert chat.dialogue.step is Step.PHONE and chat.dialogue.phone is None


def complaint_up_to_name(chat: Chat) -> None:
    chat.press("t:complaint")
    chat.press("b:loans")
    chat.press("r:online")
    chat.press("w:mobile_app")
    chat.say("The loan statement shows a fee nobody told me about.")
    chat.press("d:next")
    chat.press("o:skip")
    chat.press("c:yes")
    chat.say("Zhang San")
    assert chat.dialogue.step is Step.PHONE


def test_back_returns_step_by_step_and_cancel_forgets_everything() -> None:
    chat = Chat()
    chat.press("t:complaint")
    chat.press("b:loans")
    chat.press("r:online")
    chat.press("w:mobile_app")
    assert chat.dialogue.step is Step.DESCRIPTION
    chat.say("返回")
    assert chat.dialogue.step is Step.ONLINE_CHANNEL
    chat.say("/back")
    assert chat.dialogue.step is Step.BRANCH
    chat.say("/back")
    assert chat.dialogue.step is Step.BUSINESS
    chat.say("/back")
    assert chat.dialogue.step is Step.BUSINESS and "第一步" in chat.text
    chat.say("/cancel")
    assert chat.dialogue.step is Step.IDLE and chat.dialogue.business_type is None
    assert "已取消" in chat.text


def test_edit_from_the_summary_returns_to_it() -> None:
    chat = Chat()
    complaint_up_to_summary(chat)
    chat.press("s:edit")
    assert "e:outcome" in chat.keys
    chat.press("e:branch")
    chat.press("r:1")
    assert chat.dialogue.step is Step.SUMMARY and chat.dialogue.branch == "Jing'an Temple"
    chat.press("s:edit")
    chat.press("e:contact")
    chat.press("c:yes")
    chat.say("李四")
    chat.say("13900001111")
    assert chat.dialogue.step is Step.SUMMARY
    assert (chat.dialogue.name, chat.dialogue.phone) == ("李四", "13900001111")
    chat.say("/back")  # from the summary, back is the last real step again
    assert chat.dialogue.step is Step.PHONE


def test_an_idle_dialogue_expires() -> None:
    chat = Chat()
    chat.press("t:complaint")
    chat.press("b:loans")
    chat.now += timedelta(minutes=31)
    chat.say("Pudong")
    assert chat.dialogue.step is Step.IDLE and chat.dialogue.case_type is None
    assert "30" in chat.text and "投诉" in chat.text


def test_status_commands_become_effects_and_keep_the_place() -> None:
    chat = Chat()
    assert chat.say("/status cp-20261102-0001").effect == ShowStatus("cp-20261102-0001")
    assert isinstance(chat.say("/mycases").effect, ListCases)
    assert isinstance(chat.say("/status").effect, ListCases)
    assert isinstance(chat.say("/points").effect, ShowPoints)
    assert isinstance(chat.press("m:points").effect, ShowPoints)
    assert chat.say("CP-20261102-0001").effect == ShowStatus("CP-20261102-0001")
    chat.press("t:complaint")
    turn = chat.say("/status CP-20261102-0001")
    assert turn.effect is not None and chat.dialogue.step is Step.BUSINESS
    assert turn.replies[-1].options[0].key == "b:deposits"  # re-prompted


def test_language_from_platform_hint_and_from_the_customer() -> None:
    chat = Chat()
    chat.say("/start", hint="en-GB")
    assert "Welcome" in chat.text
    chat.say("/language zh")
    assert chat.dialogue.language == "zh"
    chat.say("/help", hint="en")  # the customer's own choice wins over the platform
    assert "欢迎" in chat.text
    chat.say("/language")
    assert chat.keys == ["l:zh", "l:en"]
    chat.press("l:en")
    assert "Language: English" in chat.text


def test_unexpected_input_gets_a_re_prompt() -> None:
    chat = Chat()
    chat.press("t:complaint")
    chat.say(Media("voice", "voice-1"))
    assert chat.dialogue.step is Step.BUSINESS
    assert chat.text.startswith("抱歉") and "b:deposits" in chat.keys
    chat.press("s:submit")  # a button from another step
    assert chat.dialogue.step is Step.BUSINESS and chat.last and chat.last.effect is None
    chat.say("/frobnicate")
    assert "/start" in chat.text


def test_state_survives_its_json_form() -> None:
    chat = Chat()
    complaint_up_to_summary(chat)
    restored = Dialogue.from_json(chat.dialogue.to_json())
    assert restored == chat.dialogue


# -- questions outside the intake: the survey, vouchers, forgetting ------------------

SURVEYED = "CP-20261102-0007"


def surveyed() -> Chat:
    return Chat(Dialogue(pending=Pending(Awaiting.RATING, SURVEYED)))


def test_an_idle_customer_is_asked_the_open_question_and_answers_by_number() -> None:
    chat = surveyed()
    chat.say("你好")
    assert SURVEYED in chat.text and chat.keys[0] == f"v:{SURVEYED}:1"
    assert chat.say("5").effect == RateCase(SURVEYED, 5)
    assert chat.dialogue.pending is None  # the service sets the comment question next


def test_a_survey_waits_while_an_intake_is_under_way() -> None:
    chat = surveyed()
    chat.press("t:complaint")
    turn = chat.say("2")  # the second business type, not a rating of 2
    assert turn.effect is None and chat.dialogue.business_type is not None
    # A survey button still answers its case, and the intake's step is asked again.
    pressed = chat.press(f"v:{SURVEYED}:4")
    assert pressed.effect == RateCase(SURVEYED, 4) and chat.dialogue.step is Step.BRANCH
    assert pressed.replies and pressed.replies[0].options[0].key == "r:0"


def test_later_start_and_cancel_leave_the_open_question() -> None:
    chat = surveyed()
    chat.press(f"v:{SURVEYED}:later")
    assert chat.dialogue.pending is None and chat.keys[0] == "t:complaint"
    for leave in ("/start", "取消"):
        chat = surveyed()
        chat.say(leave)
        assert chat.dialogue.pending is None and "t:complaint" in chat.keys


def test_a_comment_is_any_words_and_skip_ends_it() -> None:
    chat = Chat(Dialogue(pending=Pending(Awaiting.COMMENT, SURVEYED)))
    assert chat.say("很好").effect == CommentOnRating(SURVEYED, "很好")
    chat = Chat(Dialogue(pending=Pending(Awaiting.COMMENT, SURVEYED)))
    chat.say("1")  # the one option: skip
    assert chat.dialogue.pending is None and chat.last is not None and chat.last.effect is None


def test_a_late_press_of_another_questions_button_keeps_the_open_question() -> None:
    chat = Chat(Dialogue(pending=Pending(Awaiting.COMMENT, SURVEYED)))
    assert chat.press(f"v:{SURVEYED}:5").effect == RateCase(SURVEYED, 5)
    assert chat.dialogue.pending == Pending(Awaiting.COMMENT, SURVEYED)


def test_spending_and_forgetting_need_the_confirmation_open() -> None:
    chat = Chat()
    chat.say("/forget")
    assert chat.keys == ["f:yes", "f:no"]
    assert isinstance(chat.say("1").effect, ForgetMe)
    assert chat.press("f:yes").effect is None and "失效" in chat.text  # a second tap
    chat = Chat(Dialogue(pending=Pending(Awaiting.REDEEM, "3", "京东卡")))
    assert chat.press("x:3:yes").effect == RedeemVoucher(3)
    assert chat.press("x:3:yes").effect is None
    assert Chat().press("x:3:yes").effect is None  # never confirmed at all
    assert Chat().say("/redeem 3").effect == OfferVoucher(3)
    assert isinstance(Chat().say("/redeem").effect, ShowVouchers)
    assert isinstance(Chat().say("/privacy").effect, ShowPrivacy)


@pytest.mark.parametrize(
    "key",
    ["v:CP-20261102-0007:6", "v:CP-20261102-0007:0", "v:cp-1:5", "v::5", "x:3", "x:-1:yes", "f:"],
)
def test_malformed_answer_buttons_are_stale(key: str) -> None:
    chat = surveyed()
    assert chat.press(key).effect is None
    assert chat.dialogue.pending == Pending(Awaiting.RATING, SURVEYED)


def test_open_questions_survive_the_json_form() -> None:
    for kind in Awaiting:
        dialogue = Dialogue(pending=Pending(kind, SURVEYED, "label"))
        assert Dialogue.from_json(dialogue.to_json()) == dialogue


# -- any input, in any order, never crashes and never leaves the customer unanswered --

UNSUPPORTED = ["sticker", "location", "link", "file", "other"]
KEYS = [
    "a:CP-20261102-0007",
    "a:no",
    "y:3",
    "y:no",
    "t:complaint",
    "t:suggestion",
    "t:praise",
    "m:status",
    "m:points",
    "b:loans",
    "b:nonsense",
    "r:0",
    "r:9",
    "r:online",
    "r:x",
    "w:mobile_app",
    "w:counter",
    "d:next",
    "o:skip",
    "c:yes",
    "c:anon",
    "s:submit",
    "s:edit",
    "s:cancel",
    "e:branch",
    "e:outcome",
    "e:contact",
    "e:description",
    "e:business",
    "l:en",
    "l:xx",
    f"v:{SURVEYED}:5",
    f"v:{SURVEYED}:1",
    f"v:{SURVEYED}:later",
    f"v:{SURVEYED}:skip",
    f"v:{SURVEYED}:reopen",
    f"v:{SURVEYED}:close",
    f"v:{SURVEYED}:9",
    "v:not-a-case:5",
    "x:3:yes",
    "x:3:no",
    "x:three:yes",
    "f:yes",
    "f:no",
    "f:maybe",
    "",
    "zzz",
]
INPUTS = st.one_of(
    st.sampled_from(KEYS).map(Choice),
    st.text(max_size=60).map(Text),
    st.sampled_from(
        [
            "/start",
            "/cancel",
            "/back",
            "/help",
            "/status",
            "/status x",
            "/mycases",
            "/points",
            "/language",
            "/language en",
            "/redeem",
            "/redeem 3",
            "/privacy",
            "/forget",
            "/",
            "1",
            "9",
            "返回",
            "取消",
            "The branch queue was two hours long today.",
        ]
    ).map(Text),
    st.text(min_size=2001, max_size=2100).map(Text),
    st.builds(Media, st.sampled_from(["photo", "voice", "document"]), st.text(max_size=20)),
    st.builds(SharedContact, st.text(max_size=20), st.none() | st.text(max_size=10), st.booleans()),
    st.builds(Unsupported, st.sampled_from(UNSUPPORTED)),
)


@settings(max_examples=400, deadline=None)
@given(
    st.lists(st.tuples(INPUTS, st.integers(0, 45)), max_size=40),
    st.sampled_from([None, "en", "zh-hans", "fr"]),
    st.sampled_from(
        [
            None,
            *(Pending(kind, SURVEYED) for kind in Awaiting),
            Pending(Awaiting.ADD, choices=(Option(f"a:{SURVEYED}", SURVEYED),)),
        ]
    ),
)
def test_random_conversations_never_crash_or_go_silent(
    steps: list[tuple[Input, int]], hint: str | None, question: Pending | None
) -> None:
    dialogue, now = Dialogue(pending=question), START
    for message, minutes in steps:
        now += timedelta(minutes=minutes)
        turn = converse(dialogue, message, now=now, settings=SETTINGS, language_hint=hint)
        assert turn.replies or turn.effect is not None
        if isinstance(message, Unsupported):
            # Said what cannot be taken, and asked again what the step needs.
            lang = turn.dialogue.language
            said = t(lang, "unsupported", what=t(lang, f"input.{message.kind}"))
            assert turn.effect is None and said in turn.replies[-1].text
        assert all(r.text.strip() for r in turn.replies)
        for reply in turn.replies:
            assert all(0 < len(o.key.encode()) <= 64 for o in reply.options)
        if isinstance(turn.effect, SubmitCase):
            assert 10 <= len(turn.effect.description) <= 2000
            assert turn.effect.contact.is_anonymous or turn.effect.contact.consent_at
        dialogue = Dialogue.from_json(turn.dialogue.to_json())


# -- inputs the dialogue cannot take, at every step -----------------------------------


def chat_at(step: Step) -> Chat:
    """A complaint walked up to `step` (the summary's edit menu included)."""
    chat = Chat()
    chat.say("/start")
    walk = [
        (Step.BUSINESS, lambda: chat.press("t:complaint")),
        (Step.BRANCH, lambda: chat.press("b:debit_card")),
        (Step.DESCRIPTION, lambda: chat.press("r:0")),
        (
            Step.OUTCOME,
            lambda: (chat.say("The ATM kept my card for an hour."), chat.press("d:next")),
        ),
        (Step.CONSENT, lambda: chat.press("o:skip")),
        (Step.NAME, lambda: chat.press("c:yes")),
        (Step.PHONE, lambda: chat.say("张三")),
        (Step.SUMMARY, lambda: chat.say("13812348000")),
        (Step.EDIT, lambda: chat.press("s:edit")),
    ]
    for reached, move in walk:
        if chat.dialogue.step is step:
            break
        move()
        assert chat.dialogue.step is reached
    return chat


@pytest.mark.parametrize("step", list(Step))
@pytest.mark.parametrize("kind", UNSUPPORTED)
def test_an_unsupported_input_at_any_step_is_answered_and_changes_nothing(
    step: Step, kind: str
) -> None:
    chat = chat_at(step)
    before = chat.dialogue.to_json()
    expected = converse(chat.dialogue, Text("/help"), now=chat.now, settings=SETTINGS).replies[-1]
    turn = chat.say(Unsupported(kind))
    [reply] = turn.replies
    said = CATALOGS["zh"]["unsupported"].format(what=CATALOGS["zh"][f"input.{kind}"])
    assert reply.text == said + "\n" + expected.text
    assert reply.options == expected.options and reply.contact_button == expected.contact_button
    assert turn.effect is None
    assert {**chat.dialogue.to_json(), "updated_at": None} == {**before, "updated_at": None}


def test_a_contact_card_when_none_is_asked_for_is_answered() -> None:
    chat = Chat()
    chat.say(SharedContact("+8613812348000", "张三", is_own=True))
    assert chat.text.startswith("抱歉，暂时无法处理联系人名片。") and "t:complaint" in chat.keys
    chat = chat_at(Step.DESCRIPTION)
    chat.say(SharedContact("+8613812348000", "张三", is_own=True))
    assert chat.text.startswith("抱歉，没能理解") and chat.dialogue.description is None


def test_an_unsupported_answer_to_staff_reminds_of_the_question() -> None:
    chat = Chat(Dialogue(answering=SURVEYED))
    turn = chat.say(Unsupported("sticker"))
    assert turn.effect is None and chat.dialogue.answering == SURVEYED
    assert chat.text.startswith(
        f"抱歉，暂时无法处理贴纸。\n工作人员正在等待您关于 {SURVEYED} 的回复"
    )
    photo = Media("photo", "AgAC-photo", "the receipt")
    assert chat.say(photo).effect == AnswerCase(
        SURVEYED, Material(media=Attachment("photo", "AgAC-photo", "the receipt"))
    )
    assert chat.dialogue.answering is None


# -- words and files after filing ------------------------------------------------------

OTHER = "CP-20261102-0008"


def offered(*numbers: str, material: tuple[Material, ...] = ()) -> Pending:
    """The question the service puts when an idle customer sent `material`."""
    choices = tuple(Option(f"a:{n}", f"补充到投诉 {n}") for n in numbers)
    return Pending(Awaiting.ADD, choices=choices, material=material)


def test_idle_words_and_files_are_offered_to_an_open_case() -> None:
    chat = Chat()
    photo = Media("photo", "AgAC-1", "the ATM screen")
    turn = chat.say(photo)
    first = Material(media=Attachment("photo", "AgAC-1", "the ATM screen"))
    assert turn.effect == OfferAddition((first,)) and turn.replies == ()
    # The service found two open cases and asks; more words join what waits.
    chat.dialogue.pending = offered(SURVEYED, OTHER, material=(first,))
    assert chat.say("It happened at 3 pm").effect == OfferAddition(
        (first, Material(text="It happened at 3 pm"))
    )
    chat.dialogue.pending = offered(SURVEYED, OTHER, material=(first, Material(text="3 pm")))
    chat.say("hello")  # not yet chosen: the question is shown again by the service
    assert chat.keys == []
    chat.dialogue.pending = offered(SURVEYED, OTHER, material=(first, Material(text="3 pm")))
    chat.say("?")
    assert chat.keys == [f"a:{SURVEYED}", f"a:{OTHER}", "a:no"]
    assert "哪一件" in chat.text
    turn = chat.say("2")  # typed, as on WeChat
    assert turn.effect == AddToCase(OTHER, (first, Material(text="3 pm")))
    assert chat.dialogue.pending is None
    # A second press finds nothing waiting: nothing is added twice.
    again = chat.press(f"a:{OTHER}")
    assert again.effect is None and "失效" in chat.text


def test_material_is_added_only_to_a_case_it_was_offered_for() -> None:
    waiting = (Material(text="more detail"),)
    chat = Chat(Dialogue(pending=offered(SURVEYED, material=waiting)))
    assert chat.press(f"a:{OTHER}").effect is None and "失效" in chat.text
    assert chat.dialogue.pending == offered(SURVEYED, material=waiting)
    turn = chat.press("a:no")
    assert turn.effect is None and chat.dialogue.pending is None
    assert chat.text.startswith("好的，未补充到任何反馈。") and "t:complaint" in chat.keys


def test_an_open_survey_comes_before_adding_material() -> None:
    chat = surveyed()
    turn = chat.say("the card is still missing")
    assert turn.effect is None and chat.keys[0] == f"v:{SURVEYED}:1"
    assert chat.say(Media("photo", "AgAC-2")).effect is None


def test_material_waiting_lapses_with_a_new_intake_and_with_time() -> None:
    waiting = (Material(text="more detail"),)
    chat = Chat(Dialogue(pending=offered(SURVEYED, material=waiting), updated_at=START))
    assert chat.dialogue.unfinished
    chat.press("t:complaint")
    assert chat.dialogue.pending is None and chat.dialogue.step is Step.BUSINESS
    chat = Chat(Dialogue(pending=offered(SURVEYED, material=waiting), updated_at=START))
    chat.now += timedelta(minutes=45)
    turn = chat.press(f"a:{SURVEYED}")
    assert turn.effect is None and chat.dialogue.pending is None


def test_too_much_waiting_material_asks_for_the_case_first() -> None:
    waiting = tuple(Material(text=f"part {i}") for i in range(SETTINGS.max_attachments))
    chat = Chat(Dialogue(pending=offered(SURVEYED, material=waiting)))
    turn = chat.say("one more")
    assert turn.effect is None and chat.text.startswith("待补充的内容最多 10 条")
    assert chat.keys == [f"a:{SURVEYED}", "a:no"]


def test_waiting_material_survives_the_json_form() -> None:
    photo = Material(media=Attachment("document", "BQAC-1", "statement"))
    dialogue = Dialogue(pending=offered(SURVEYED, OTHER, material=(photo, Material(text="hi"))))
    assert Dialogue.from_json(dialogue.to_json()) == dialogue
    # A pending question stored before menus were kept still reads.
    old = {**dialogue.to_json(), "pending": ["rating", SURVEYED, ""]}
    assert Dialogue.from_json(old).pending == Pending(Awaiting.RATING, SURVEYED)


# -- vouchers: the catalog is a menu; codes can be listed again ----------------------


def test_the_voucher_menu_is_answered_by_button_or_number() -> None:
    menu = Pending(
        Awaiting.VOUCHER,
        label="可用积分兑换的礼品券",
        choices=(Option("y:3", "京东卡"), Option("y:7", "体检")),
    )
    chat = Chat(Dialogue(pending=menu))
    chat.say("?")
    assert chat.keys == ["y:3", "y:7", "y:no"]
    assert chat.say("2").effect == OfferVoucher(7)
    assert Chat().press("y:3").effect == OfferVoucher(3)  # a catalog button from before
    chat = Chat(Dialogue(pending=menu))
    assert chat.say("3").effect is None and chat.text.startswith("未兑换")
    assert isinstance(Chat().say("/vouchers").effect, ShowMyVouchers)
