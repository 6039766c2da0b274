"""Classifying a case as the regulator counts it, and merging a repeated complaint."""

from __future__ import annotations

import pytest

from core.cases.case import Case
from core.cases.classification import BusinessType, Cause, Channel
from core.cases.values import TAG_MAX, CaseStatus, CaseType, Classification
from core.errors import DomainError, IllegalTransition
from tests.factories import BOB, at, new_case

NOW = at("2026-11-03 11:00")
STAFF = "staff:7"
UNCLASSIFIED = Classification(Channel.COUNTER, BusinessType.DEBIT_CARD)


def working(case: Case) -> Case:
    case.assign(department="cards", assignee="7", actor=STAFF, now=NOW)
    case.start(actor=STAFF, now=NOW)
    case.pending_events.clear()
    return case


def test_a_complaint_is_answered_only_once_its_cause_is_set() -> None:
    case = working(new_case(classification=UNCLASSIFIED))
    assert case.needs_cause
    with pytest.raises(DomainError) as refused:
        case.resolve(result="Card returned.", actor=STAFF, now=NOW)
    assert (refused.value.key, refused.value.params) == (
        "refusal.no_cause",
        {"number": case.number},
    )
    assert case.status is CaseStatus.IN_PROGRESS and case.pending_events == []
    assert case.classify(cause=Cause.FACILITIES, actor=STAFF, now=NOW)
    case.resolve(result="Card returned.", actor=STAFF, now=NOW)
    assert case.status is CaseStatus.RESOLVED


@pytest.mark.parametrize("kind", [CaseType.SUGGESTION, CaseType.PRAISE])
def test_other_feedback_needs_no_cause(kind: CaseType) -> None:
    case = working(new_case("SG-20261102-0001", type=kind, classification=UNCLASSIFIED))
    assert not case.needs_cause
    case.resolve(result="Thank you.", actor=STAFF, now=NOW)
    assert case.status is CaseStatus.RESOLVED


def test_cause_and_channel_changes_are_audited_and_a_repeat_records_nothing() -> None:
    case = working(new_case(classification=UNCLASSIFIED))
    assert case.classify(cause=Cause.SERVICE, actor=STAFF, now=NOW)
    assert not case.classify(cause=Cause.SERVICE, actor=STAFF, now=NOW)
    assert case.correct_channel(Channel.SELF_SERVICE, actor=STAFF, now=NOW)
    assert not case.correct_channel(Channel.SELF_SERVICE, actor=STAFF, now=NOW)
    assert case.classification == Classification(
        Channel.SELF_SERVICE, BusinessType.DEBIT_CARD, Cause.SERVICE
    )
    classified, corrected = case.pending_events
    assert (classified.action, classified.actor) == ("classified", STAFF)
    assert classified.before["classification"]["cause"] is None
    assert classified.after["classification"]["cause"] == "service"
    assert corrected.action == "channel_corrected"
    assert corrected.before["classification"]["channel"] == "counter"
    assert corrected.after["classification"]["channel"] == "self_service"


def test_tags_are_trimmed_kept_once_and_removed() -> None:
    case = working(new_case())
    assert case.tag("  ATM   吞卡 ", actor=STAFF, now=NOW)
    assert not case.tag("ATM 吞卡", actor=STAFF, now=NOW)
    assert case.tag("VIP", actor=STAFF, now=NOW)
    assert not case.untag("nothing", actor=STAFF, now=NOW)
    assert case.untag("ATM  吞卡", actor=STAFF, now=NOW)
    assert case.tags == ["VIP"]
    assert [(e.action, e.note) for e in case.pending_events] == [
        ("tagged", "ATM 吞卡"),
        ("tagged", "VIP"),
        ("untagged", "ATM 吞卡"),
    ]
    for label in ("   ", "x" * (TAG_MAX + 1)):
        with pytest.raises(DomainError):
            case.tag(label, actor=STAFF, now=NOW)
    assert case.tags == ["VIP"]


def earlier_case(**overrides: object) -> Case:
    fields: dict[str, object] = {
        "received_at": at("2026-11-01 10:00"),
        "due_at": at("2026-11-04 10:00"),
    }
    fields.update(overrides)
    return new_case("CP-20261101-0001", **fields)


def test_a_repeated_complaint_merges_into_the_earlier_one_with_both_trails() -> None:
    earlier = earlier_case()
    earlier.pending_events.clear()
    repeated = working(new_case())
    repeated.merge_into(earlier, actor=STAFF, now=NOW)
    assert repeated.status is CaseStatus.MERGED and not repeated.status.is_open
    assert (repeated.merged_into, repeated.closed_at) == (earlier.number, NOW)
    [merged] = repeated.pending_events
    assert (merged.action, merged.actor, merged.note) == ("merged", STAFF, earlier.number)
    assert merged.after["merged_into"] == earlier.number and merged.after["status"] == "merged"
    [joined] = earlier.pending_events
    assert (joined.action, joined.note, joined.after) == (
        "merged_in",
        repeated.number,
        {"merged": repeated.number},
    )
    assert earlier.status is CaseStatus.NEW and earlier.merged_into is None
    # Merged is final: nothing more happens to it, not even another merge.
    with pytest.raises(IllegalTransition):
        repeated.merge_into(earlier, actor=STAFF, now=NOW)
    with pytest.raises(IllegalTransition):
        repeated.assign(department="cards", assignee="7", actor=STAFF, now=NOW)


def test_an_answered_earlier_case_takes_the_repeat() -> None:
    earlier = working(earlier_case())
    earlier.resolve(result="Card returned.", actor=STAFF, now=NOW)
    repeated = new_case()
    repeated.merge_into(earlier, actor=STAFF, now=NOW)
    assert repeated.status is CaseStatus.MERGED


def merged_case(number: str) -> Case:
    case = earlier_case(received_at=at("2026-10-30 10:00"))
    case.status, case.merged_into = CaseStatus.MERGED, number
    return case


@pytest.mark.parametrize(
    ("earlier", "key"),
    [
        (lambda: new_case(), "refusal.merge_self"),
        (lambda: earlier_case(customer=BOB), "refusal.merge_other_customer"),
        (lambda: earlier_case(type=CaseType.SUGGESTION), "refusal.merge_other_type"),
        (lambda: merged_case("CP-20261030-0001"), "refusal.merge_into_merged"),
        (
            lambda: earlier_case(received_at=at("2026-11-02 12:00"), due_at=at("2026-11-05 12:00")),
            "refusal.merge_into_later",
        ),
    ],
    ids=["itself", "another customer", "another type", "a merged one", "a later one"],
)
def test_merging_is_refused_with_the_reason(earlier: object, key: str) -> None:
    assert callable(earlier)
    other = earlier()
    repeated = new_case()
    repeated.pending_events.clear()
    with pytest.raises(DomainError) as refused:
        repeated.merge_into(other, actor=STAFF, now=NOW)
    assert refused.value.key == key
    assert (repeated.status, repeated.merged_into, repeated.pending_events) == (
        CaseStatus.NEW,
        None,
        [],
    )


@pytest.mark.parametrize("status", [CaseStatus.CLOSED, CaseStatus.WITHDRAWN])
def test_a_finished_case_takes_no_repeat(status: CaseStatus) -> None:
    earlier = earlier_case()
    earlier.status = status
    with pytest.raises(DomainError) as refused:
        new_case().merge_into(earlier, actor=STAFF, now=NOW)
    assert refused.value.key == "refusal.merge_into_finished"
    assert refused.value.params["status"] == status.value


def test_a_case_already_answered_is_not_merged() -> None:
    repeated = working(new_case())
    repeated.resolve(result="done", actor=STAFF, now=NOW)
    with pytest.raises(IllegalTransition):
        repeated.merge_into(earlier_case(), actor=STAFF, now=NOW)
    assert repeated.status is CaseStatus.RESOLVED and repeated.merged_into is None
