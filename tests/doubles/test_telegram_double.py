"""Proof that the Bot API double works with the real python-telegram-bot over loopback.

Each test drives the library's own ``Bot`` or ``Application`` against the double, so what passes
here is what the chatbot's Telegram adapter can rely on in its own tests.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator

import pytest
from aiohttp import ClientSession, web
from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeAllPrivateChats,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
)
from telegram.error import (
    BadRequest,
    Conflict,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TimedOut,
)
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from .telegram_bot_api import BotApiDouble

USER = 1001


@pytest.fixture(autouse=True)
def timedelta_durations(monkeypatch: pytest.MonkeyPatch) -> None:
    """Opt in to PTB's timedelta-valued durations, which avoids its deprecation warnings."""
    monkeypatch.setenv("PTB_TIMEDELTA", "true")


@pytest.fixture
async def api() -> AsyncIterator[BotApiDouble]:
    async with BotApiDouble() as double:
        yield double


@pytest.fixture
async def bot(api: BotApiDouble) -> AsyncIterator[Bot]:
    async with Bot(api.token, base_url=api.base_url, base_file_url=api.base_file_url) as client:
        yield client


def keyboard(*data: str) -> InlineKeyboardMarkup:
    """One button per row, one per callback_data."""
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(f"按钮{n}", callback_data=d)] for n, d in enumerate(data, 1)]
    )


async def test_get_me_describes_the_bot(api: BotApiDouble, bot: Bot) -> None:
    me = await bot.get_me()

    assert me.id == api.bot_id
    assert me.is_bot
    assert me.username == api.bot_username
    # Bot.initialize() (entering ``async with``) already called getMe once.
    assert api.attempts("getMe") == 2


async def test_a_wrong_token_is_unauthorized(api: BotApiDouble) -> None:
    stranger = Bot("42:not-the-token", base_url=api.base_url)
    with pytest.raises(InvalidToken, match="rejected by the server"):
        async with stranger:
            pass
    assert api.calls("getMe")[0].status == 401


async def test_polling_application_gets_a_command_and_its_reply_is_recorded(
    api: BotApiDouble,
) -> None:
    seen: list[Update] = []

    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        seen.append(update)
        assert update.message is not None
        await update.message.reply_text(
            "请选择：", reply_markup=keyboard("kind:complaint", "kind:praise")
        )

    async def pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None
        await query.answer("已收到")
        await query.edit_message_text(f"您选择了 {query.data}")

    app = (
        Application.builder()
        .token(api.token)
        .base_url(api.base_url)
        .base_file_url(api.base_file_url)
        .build()
    )
    app.add_handler(CommandHandler("start", start))
    app.add_handler(CallbackQueryHandler(pressed))
    async with app:
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(timeout=10)
        try:
            api.user_text(USER, "/start")
            reply = await api.wait_for_message(USER)

            press = api.callback(USER, "kind:praise", reply.message_id)
            await api.wait_for_call("editMessageText")
        finally:
            await app.updater.stop()
            await app.stop()

    message = seen[0].message
    assert message is not None and message.from_user is not None
    assert message.chat.id == USER == message.from_user.id
    assert message.from_user.language_code == "zh-hans"
    assert message.entities[0].type == "bot_command"

    # The record follows the message through edits; earlier versions stay in ``edits``.
    assert reply.edits[0]["text"] == "请选择："
    assert [
        b["callback_data"] for row in reply.edits[0]["reply_markup"]["inline_keyboard"] for b in row
    ] == ["kind:complaint", "kind:praise"]
    polls = api.calls("getUpdates")
    # The polling loop long-polls with the timeout given; on stop, PTB makes one more call
    # with timeout 0 only to confirm the updates it fetched.
    assert polls[0].params["timeout"] == 10
    assert polls[-1].params["timeout"] == 0
    assert polls[-1].params["offset"] == press["update_id"] + 1

    query_id = press["callback_query"]["id"]
    assert api.unanswered_callbacks() == []
    assert api.callback_answer(query_id) == {"text": "已收到"}
    assert api.sent(USER) == [reply]
    assert reply.text == "您选择了 kind:praise"
    assert reply.reply_markup is None  # an edit without reply_markup drops the keyboard
    assert len(reply.edits) == 1


async def test_a_long_poll_returns_as_soon_as_an_update_is_queued(
    api: BotApiDouble, bot: Bot
) -> None:
    poll = asyncio.create_task(bot.get_updates(timeout=30))
    await api.wait_for_long_poll()

    api.user_text(USER, "你好")
    async with asyncio.timeout(2):
        updates = await poll

    assert [u.message.text for u in updates if u.message] == ["你好"]


async def test_offset_confirms_and_a_redelivery_keeps_its_update_id(
    api: BotApiDouble, bot: Bot
) -> None:
    first = api.user_text(USER, "一")
    assert [u.update_id for u in await bot.get_updates(timeout=0)] == [first["update_id"]]
    # Not confirmed yet: asked again without an offset, the server repeats it.
    assert [u.update_id for u in await bot.get_updates(timeout=0)] == [first["update_id"]]

    assert await bot.get_updates(offset=first["update_id"] + 1, timeout=0) == ()
    await api.wait_until_confirmed(first)

    api.redeliver(first)
    again = await bot.get_updates(offset=first["update_id"] + 1, timeout=0)
    assert [u.update_id for u in again] == [first["update_id"]]


async def test_allowed_updates_filters_kinds(api: BotApiDouble, bot: Bot) -> None:
    sent = await bot.send_message(USER, "x", reply_markup=keyboard("a"))
    api.callback(USER, "a", sent.message_id)
    text = api.user_text(USER, "hello")

    updates = await bot.get_updates(timeout=0, allowed_updates=["message"])

    assert [u.update_id for u in updates] == [text["update_id"]]
    assert [u["callback_query"]["data"] for u in api.dropped_updates()] == ["a"]


async def test_callback_data_longer_than_64_bytes_is_refused(api: BotApiDouble, bot: Bot) -> None:
    await bot.send_message(USER, "ok", reply_markup=keyboard("x" * 64))
    # PTB drops "Bad Request: " and capitalizes the rest, so the wire's BUTTON_DATA_INVALID
    # reads "Button_data_invalid" on the exception.
    with pytest.raises(BadRequest, match="Button_data_invalid"):
        await bot.send_message(USER, "too long", reply_markup=keyboard("x" * 65))
    # The limit is in bytes: 22 Chinese characters are 66 bytes of UTF-8.
    with pytest.raises(BadRequest, match="Button_data_invalid"):
        await bot.send_message(USER, "too long", reply_markup=keyboard("投" * 22))

    assert [m.text for m in api.sent(USER)] == ["ok"]
    assert [c.status for c in api.calls("sendMessage")] == [200, 400, 400]
    assert api.calls("sendMessage")[1].response == {
        "ok": False,
        "error_code": 400,
        "description": "Bad Request: BUTTON_DATA_INVALID",
    }


async def test_message_length_limits(api: BotApiDouble, bot: Bot) -> None:
    await bot.send_message(USER, "字" * 4096)
    with pytest.raises(BadRequest, match="Message is too long"):
        await bot.send_message(USER, "字" * 4097)
    with pytest.raises(BadRequest, match="Message text is empty"):
        await bot.send_message(USER, "   ")
    # The limit applies to the text after formatting is applied.
    await bot.send_message(USER, "<b>" + "a" * 4096 + "</b>", parse_mode="HTML")

    assert [len(m.plain_text or "") for m in api.sent(USER)] == [4096, 4096]


async def test_flood_control_surfaces_as_retry_after_then_recovers(
    api: BotApiDouble, bot: Bot
) -> None:
    api.throttle("sendMessage", retry_after=7)

    with pytest.raises(RetryAfter) as raised:
        await bot.send_message(USER, "first try")
    await bot.send_message(USER, "second try")

    assert raised.value.retry_after == dt.timedelta(seconds=7)
    assert [c.status for c in api.calls("sendMessage")] == [429, 200]
    assert api.calls("sendMessage")[0].response == {
        "ok": False,
        "error_code": 429,
        "description": "Too Many Requests: retry after 7",
        "parameters": {"retry_after": 7},
    }
    assert [m.text for m in api.sent(USER)] == ["second try"]


async def test_bad_gateway_twice_then_recovery(api: BotApiDouble, bot: Bot) -> None:
    api.fail_next("sendMessage", 502, times=2)

    for _ in range(2):
        with pytest.raises(NetworkError, match="Bad Gateway"):
            await bot.send_message(USER, "retry me")
    await bot.send_message(USER, "retry me")

    assert api.attempts("sendMessage") == 3
    assert len(api.sent(USER)) == 1


async def test_photo_from_a_user_can_be_fetched_and_downloaded(api: BotApiDouble, bot: Bot) -> None:
    picture = b"\xff\xd8\xff\xe0 receipt photo \xff\xd9"
    api.user_photo(USER, file_id="receipt-1", caption="收据", content=picture)

    (update,) = await bot.get_updates(timeout=0)
    assert update.message is not None
    largest = update.message.photo[-1]
    file = await largest.get_file()
    data = await file.download_as_bytearray()

    assert largest.file_id == "receipt-1"
    assert update.message.caption == "收据"
    assert bytes(data) == picture
    assert api.calls("getFile")[0].params == {"file_id": "receipt-1"}


async def test_documents_voice_and_contacts_parse(api: BotApiDouble, bot: Bot) -> None:
    api.user_document(USER, file_name="合同.pdf", content=b"%PDF-1.4 x")
    api.user_voice(USER, duration=5)
    api.user_contact(USER, "8613800138000", "王")
    api.user_contact(USER, "8613900139000", "李", contact_user_id=2002)

    doc, voice, own, other = await bot.get_updates(timeout=0)

    assert doc.message and doc.message.document
    assert doc.message.document.file_name == "合同.pdf"
    downloaded = await (await doc.message.document.get_file()).download_as_bytearray()
    assert bytes(downloaded) == b"%PDF-1.4 x"
    assert (
        voice.message
        and voice.message.voice
        and voice.message.voice.duration == dt.timedelta(seconds=5)
    )
    assert own.message and own.message.contact and own.message.contact.user_id == USER
    assert other.message and other.message.contact and other.message.contact.user_id == 2002


async def test_an_uploaded_photo_is_recorded_and_downloadable(api: BotApiDouble, bot: Bot) -> None:
    sent = await bot.send_photo(
        USER, photo=b"\x89PNG fake image", caption="<i>回执</i>", parse_mode="HTML"
    )

    record = api.sent(USER)[0]
    assert record.method == "sendPhoto"
    assert record.file == b"\x89PNG fake image"
    assert record.plain_text == sent.caption == "回执"
    assert api.calls("sendPhoto")[0].content_type == "multipart/form-data"
    file = await bot.get_file(sent.photo[-1].file_id)
    assert bytes(await file.download_as_bytearray()) == b"\x89PNG fake image"


async def test_answering_an_unknown_callback_query_is_refused(bot: Bot) -> None:
    with pytest.raises(BadRequest, match="Query is too old"):
        await bot.answer_callback_query("123456789")


async def test_a_callback_can_be_answered_only_once(api: BotApiDouble, bot: Bot) -> None:
    sent = await bot.send_message(USER, "选一个", reply_markup=keyboard("pick"))
    press = api.callback(USER, "pick", sent.message_id)
    query_id = press["callback_query"]["id"]
    assert api.unanswered_callbacks() == [query_id]

    await bot.answer_callback_query(query_id)
    with pytest.raises(BadRequest):
        await bot.answer_callback_query(query_id)
    assert api.unanswered_callbacks() == []


async def test_edits_that_change_nothing_are_refused(api: BotApiDouble, bot: Bot) -> None:
    sent = await bot.send_message(USER, "状态：处理中", reply_markup=keyboard("refresh"))

    with pytest.raises(BadRequest, match="Message is not modified"):
        await bot.edit_message_text(
            "状态：处理中",
            chat_id=USER,
            message_id=sent.message_id,
            reply_markup=keyboard("refresh"),
        )
    await bot.edit_message_reply_markup(chat_id=USER, message_id=sent.message_id)
    await bot.delete_message(USER, sent.message_id)
    with pytest.raises(BadRequest, match="Message to delete not found"):
        await bot.delete_message(USER, sent.message_id)

    record = api.sent(USER)[0]
    assert record.reply_markup is None
    assert record.deleted


async def test_commands_are_kept_per_scope_and_language(api: BotApiDouble, bot: Bot) -> None:
    zh = [BotCommand("start", "开始"), BotCommand("complain", "我要投诉")]
    await bot.set_my_commands(zh, language_code="zh")
    await bot.set_my_commands(
        [BotCommand("start", "Start")], scope=BotCommandScopeAllPrivateChats()
    )

    assert [c.command for c in await bot.get_my_commands(language_code="zh")] == [
        "start",
        "complain",
    ]
    assert await bot.get_my_commands() == ()
    assert api.commands(scope={"type": "all_private_chats"}) == [
        {"command": "start", "description": "Start"}
    ]
    # A user locale is not a valid bot language code, and commands are lower case.
    with pytest.raises(BadRequest, match="Invalid language code"):
        await bot.set_my_commands(zh, language_code="zh-hans")
    with pytest.raises(BadRequest, match="Bot_command_invalid"):
        await bot.set_my_commands([BotCommand("Complain", "x")])


async def test_formatting_errors_are_refused_like_the_server(bot: Bot) -> None:
    with pytest.raises(BadRequest, match="Can't parse entities"):
        await bot.send_message(USER, "余额 < 100", parse_mode="HTML")
    with pytest.raises(BadRequest, match="reserved"):
        await bot.send_message(USER, "利率 1.5%", parse_mode="MarkdownV2")

    sent = await bot.send_message(USER, r"利率 *1\.5%*", parse_mode="MarkdownV2")
    assert sent.text == "利率 1.5%"
    assert [(e.type, e.offset, e.length) for e in sent.entities] == [("bold", 3, 4)]


async def test_sending_to_a_user_who_blocked_the_bot_is_forbidden(
    api: BotApiDouble, bot: Bot
) -> None:
    api.block_user(USER)
    with pytest.raises(Forbidden, match="blocked"):
        await bot.send_message(USER, "您的投诉已受理")


async def test_webhook_blocks_polling_and_receives_updates_with_the_secret(
    api: BotApiDouble, bot: Bot
) -> None:
    received: list[tuple[str | None, dict[str, object]]] = []

    async def hook(request: web.Request) -> web.Response:
        received.append(
            (request.headers.get("X-Telegram-Bot-Api-Secret-Token"), await request.json())
        )
        return web.Response()

    receiver = web.Application()
    receiver.router.add_post("/hook", hook)
    runner = web.AppRunner(receiver)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    try:
        url = f"http://127.0.0.1:{runner.addresses[0][1]}/hook"
        await bot.set_webhook(url, secret_token="s3cret", allowed_updates=["message"])
        info = await bot.get_webhook_info()
        with pytest.raises(Conflict):
            await bot.get_updates(timeout=0)

        update = api.user_text(USER, "via webhook", enqueue=False)
        assert await api.deliver_to_webhook(update) == 200

        await bot.delete_webhook()
        assert await bot.get_updates(timeout=0) == ()
    finally:
        await runner.cleanup()

    assert info.url == url
    assert info.allowed_updates == ("message",)
    assert received == [("s3cret", update)]
    assert api.webhook is None


async def test_chat_actions_are_recorded_and_checked(api: BotApiDouble, bot: Bot) -> None:
    await bot.send_chat_action(USER, "typing")
    with pytest.raises(BadRequest):
        await bot.send_chat_action(USER, "dancing")

    assert api.chat_actions(USER) == ["typing"]


async def test_a_redelivered_update_reaches_the_application_twice(api: BotApiDouble) -> None:
    handled: list[int] = []
    both_seen = asyncio.Event()

    async def on_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        handled.append(update.update_id)
        if len(handled) == 2:
            both_seen.set()

    app = Application.builder().token(api.token).base_url(api.base_url).build()
    app.add_handler(MessageHandler(filters.TEXT, on_text))
    async with app:
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(timeout=10)
        try:
            update = api.user_text(USER, "我的卡被吞了")
            await api.wait_until_confirmed(update)
            api.redeliver(update)
            async with asyncio.timeout(5):
                await both_seen.wait()
        finally:
            await app.updater.stop()
            await app.stop()

    assert handled == [update["update_id"]] * 2


async def test_a_second_bot_instance_polling_terminates_the_first(
    api: BotApiDouble, bot: Bot
) -> None:
    older = asyncio.create_task(bot.get_updates(timeout=30))
    await api.wait_for_long_poll()

    # A second process with the same token; one Bot cannot overlap polls itself, as PTB gives
    # getUpdates a connection pool of one.
    async with Bot(api.token, base_url=api.base_url) as second_instance:
        assert await second_instance.get_updates(timeout=0) == ()
    with pytest.raises(Conflict, match="terminated by other getUpdates request"):
        await older


async def test_a_stalled_answer_times_out_in_the_client(api: BotApiDouble, bot: Bot) -> None:
    api.stall_next("sendMessage", 5)

    with pytest.raises(TimedOut):
        await bot.send_message(USER, "slow", read_timeout=0.2)
    await bot.send_message(USER, "fast")

    assert [m.text for m in api.sent(USER)] == ["fast"]


async def test_an_unreachable_server_refuses_connections_then_returns_on_its_port(
    api: BotApiDouble, bot: Bot
) -> None:
    port = api.port
    await api.refuse_connections()
    with pytest.raises(NetworkError):
        await bot.send_message(USER, "lost")
    await api.accept_connections()
    assert api.port == port
    await bot.send_message(USER, "back")

    assert [m.text for m in api.sent(USER)] == ["back"]


async def test_held_requests_wait_until_released(api: BotApiDouble, bot: Bot) -> None:
    api.hold_requests("sendMessage")
    with pytest.raises(TimedOut):  # the client gives up on a request held too long
        await bot.send_message(USER, "given up", read_timeout=0.1)
    waiting = asyncio.create_task(bot.send_message(USER, "patient"))
    await api.wait_for_arrivals("sendMessage", 2)
    assert api.sent(USER) == [] and not waiting.done()
    await bot.get_me()  # other methods are not held
    api.release_requests()

    assert (await waiting).text == "patient"
    assert [m.text for m in api.sent(USER)] == ["patient"]


async def test_a_gateway_error_page_is_not_json(api: BotApiDouble, bot: Bot) -> None:
    api.fail_next("getMe", 502, body=b"<html><body>502 Bad Gateway</body></html>")

    with pytest.raises(NetworkError, match="Parsing the server response"):
        await bot.get_me()


async def test_uploaded_documents_keep_their_name_and_type(api: BotApiDouble, bot: Bot) -> None:
    sent = await bot.send_document(USER, document=b"a,b\n1,2\n", filename="回复.csv")

    assert sent.document is not None
    assert sent.document.file_name == "回复.csv"
    assert api.sent(USER)[0].file == b"a,b\n1,2\n"
    with pytest.raises(BadRequest, match="Wrong file identifier"):
        await bot.send_document(USER, document="no-such-file-id")


async def test_the_wire_format_for_json_bodies_query_strings_and_unknown_methods(
    api: BotApiDouble,
) -> None:
    async with ClientSession() as http:
        url = f"{api.base_url}{api.token}"
        async with http.post(f"{url}/sendMessage", json={"chat_id": USER, "text": "json"}) as r:
            sent = await r.json()
        async with http.get(f"{url}/getUpdates", params={"offset": "5", "timeout": "0"}) as r:
            polled = await r.json()
        async with http.post(f"{url}/noSuchMethod") as r:
            unknown = (r.status, await r.json())

    assert sent["ok"] is True
    assert sent["result"]["chat"] == {"id": USER, "type": "private", "first_name": "User"}
    assert sent["result"]["text"] == "json"
    assert polled == {"ok": True, "result": []}
    assert unknown[0] == 404
    assert unknown[1]["ok"] is False
    assert unknown[1]["error_code"] == 404


async def test_reply_keyboards_are_recorded_but_not_part_of_the_message(
    api: BotApiDouble, bot: Bot
) -> None:
    share = ReplyKeyboardMarkup(
        [[KeyboardButton("分享手机号", request_contact=True)]], one_time_keyboard=True
    )
    asked = await bot.send_message(USER, "请分享手机号", reply_markup=share)
    await bot.send_message(USER, "谢谢", reply_markup=ReplyKeyboardRemove())

    ask, thanks = api.sent(USER)
    assert asked.reply_markup is None
    assert ask.button_texts == ["分享手机号"]
    assert ask.reply_markup is not None
    assert ask.reply_markup["keyboard"][0][0]["request_contact"] is True
    assert thanks.reply_markup == {"remove_keyboard": True}
