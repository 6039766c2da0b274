"""The case state machine: every legal transition works, every illegal one is refused."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.cases.case import Case
from core.cases.classification import Cause
from core.cases.record import TRANSITIONS
from core.cases.values import CaseStatus
from core.errors import DomainError, ExtensionRefused, IllegalTransition
from tests.factories import at, new_case

NOW = at("2026-11-03 11:00")
STAFF = "staff:agent-7"

# The one method that leads to each status (NEW is only ever the starting point).
MOVES: dict[CaseStatus, Callable[[Case], None]] = {
    CaseStatus.ASSIGNED: lambda c: c.assign(
        department="cards", assignee="agent-7", actor=STAFF, now=NOW
    ),
    CaseStatus.IN_PROGRESS: lambda c: c.start(actor=STAFF, now=NOW),
    CaseStatus.WAITING_FOR_CUSTOMER: lambda c: c.ask_customer(
        question="Which ATM?", actor=STAFF, now=NOW
    ),
    CaseStatus.RESOLVED: lambda c: c.resolve(result="Card returned.", actor=STAFF, now=NOW),
    CaseStatus.CLOSED: lambda c: c.close(actor="system", now=NOW),
    CaseStatus.REOPENED: lambda c: c.reopen(
        reason="Still not fixed", due_at=NOW + timedelta(days=3), actor="customer:x", now=NOW
    ),
    CaseStatus.WITHDRAWN: lambda c: c.withdraw(reason="sorted out", actor="customer:x", now=NOW),
    CaseStatus.MERGED: lambda c: c.merge_into(
        new_case("CP-20261101-0001", received_at=at("2026-11-01 10:00")), actor=STAFF, now=NOW
    ),
}


def case_in(status: CaseStatus) -> Case:
    case = new_case()
    case.status = status
    case.pending_events.clear()
    return case


ALL_PAIRS = [(a, b) for a in CaseStatus for b in MOVES]


@pytest.mark.parametrize(("source", "target"), ALL_PAIRS, ids=lambda s: s.value)
def test_transition_matrix(source: CaseStatus, target: CaseStatus) -> None:
    case = case_in(source)
    before = (case.status, case.department, case.assignee, case.resolution, case.closed_at)
    if target in TRANSITIONS[source]:
        MOVES[target](case)
        assert case.status is target
        [event] = case.pending_events
        assert event.before["status"] == source.value
        assert event.after["status"] == target.value
        assert (event.actor, event.at) in {(STAFF, NOW), ("system", NOW), ("customer:x", NOW)}
    else:
        with pytest.raises(IllegalTransition) as refused:
            MOVES[target](case)
        assert refused.value.current == source.value
        assert refused.value.target == target.value
        assert "cannot go from" in str(refused.value)
        assert (
            case.status,
            case.department,
            case.assignee,
            case.resolution,
            case.closed_at,
        ) == before
        assert case.pending_events == []


def test_a_full_life_is_audited_in_order() -> None:
    case = new_case()
    for status in [
        CaseStatus.ASSIGNED,
        CaseStatus.IN_PROGRESS,
        CaseStatus.WAITING_FOR_CUSTOMER,
        CaseStatus.IN_PROGRESS,
        CaseStatus.RESOLVED,
        CaseStatus.CLOSED,
    ]:
        MOVES[status](case)
    assert [e.action for e in case.pending_events] == [
        "filed",
        "assigned",
        "started",
        "asked_customer",
        "started",
        "resolved",
        "closed",
    ]
    assert case.resolution == "Card returned."
    assert case.resolved_at == NOW and case.closed_at == NOW
    assigned = case.pending_events[1]
    assert assigned.before == {"status": "new", "department": None, "assignee": None}
    assert assigned.after == {"status": "assigned", "department": "cards", "assignee": "agent-7"}
    assert case.pending_events[3].note == "Which ATM?"


def test_reopening_clears_the_outcome_and_sets_a_new_deadline() -> None:
    case = case_in(CaseStatus.RESOLVED)
    case.resolved_at = NOW
    MOVES[CaseStatus.REOPENED](case)
    assert case.resolved_at is None
    assert case.due_at == NOW + timedelta(days=3)
    assert case.pending_events[-1].note == "Still not fixed"


def test_a_resolution_needs_a_result() -> None:
    case = case_in(CaseStatus.IN_PROGRESS)
    with pytest.raises(DomainError, match="result"):
        case.resolve(result="  ", actor=STAFF, now=NOW)
    assert case.status is CaseStatus.IN_PROGRESS and case.pending_events == []


def test_changes_that_keep_the_status_are_audited() -> None:
    case = case_in(CaseStatus.IN_PROGRESS)
    case.classify(cause=Cause.SERVICE, actor=STAFF, now=NOW)
    case.tag("atm", actor=STAFF, now=NOW)
    case.tag("atm", actor=STAFF, now=NOW)  # already there: nothing to record
    case.add_note(text="Called the branch.", actor=STAFF, now=NOW)
    assert [e.action for e in case.pending_events] == [
        "classified",
        "tagged",
        "noted",
    ]
    assert case.classification.cause is Cause.SERVICE
    assert case.pending_events[0].after["classification"]["cause"] == "service"
    assert case.tags == ["atm"]


class TestLegalCeiling:
    def test_starts_fifteen_calendar_days_after_receipt(self) -> None:
        case = new_case()
        assert case.legal_due_at == case.received_at + timedelta(days=15)

    def test_may_reach_thirty_days_with_reason_and_approver(self) -> None:
        case = case_in(CaseStatus.IN_PROGRESS)
        case.extend(
            days=15,
            reason="needs the card scheme's records",
            approver="lead-2",
            senior_approval=False,
            actor=STAFF,
            now=NOW,
        )
        assert case.legal_due_at == case.received_at + timedelta(days=30)
        assert case.extensions[0].approver == "lead-2"
        assert case.pending_events[-1].action == "extended"

    def test_beyond_thirty_days_needs_senior_approval(self) -> None:
        case = case_in(CaseStatus.IN_PROGRESS)
        case.extend(
            days=15,
            reason="complex",
            approver="lead-2",
            senior_approval=False,
            actor=STAFF,
            now=NOW,
        )
        with pytest.raises(ExtensionRefused, match="senior"):
            case.extend(
                days=1,
                reason="more",
                approver="lead-2",
                senior_approval=False,
                actor=STAFF,
                now=NOW,
            )
        case.extend(
            days=30,
            reason="court records",
            approver="vp-1",
            senior_approval=True,
            actor=STAFF,
            now=NOW,
        )
        assert case.legal_due_at == case.received_at + timedelta(days=60)
        with pytest.raises(ExtensionRefused, match="60"):
            case.extend(
                days=1, reason="more", approver="vp-1", senior_approval=True, actor=STAFF, now=NOW
            )

    @pytest.mark.parametrize(
        ("days", "reason", "approver"), [(0, "r", "a"), (3, " ", "a"), (3, "r", "")]
    )
    def test_an_extension_needs_days_reason_and_approver(
        self, days: int, reason: str, approver: str
    ) -> None:
        case = case_in(CaseStatus.IN_PROGRESS)
        with pytest.raises(ExtensionRefused):
            case.extend(
                days=days,
                reason=reason,
                approver=approver,
                senior_approval=False,
                actor=STAFF,
                now=NOW,
            )
        assert case.extensions == [] and case.pending_events == []

    def test_a_finished_case_cannot_be_extended(self) -> None:
        case = case_in(CaseStatus.CLOSED)
        with pytest.raises(DomainError, match="closed"):
            case.extend(
                days=3, reason="r", approver="a", senior_approval=False, actor=STAFF, now=NOW
            )


def test_filing_refuses_naive_times_and_empty_descriptions() -> None:
    with pytest.raises(ValueError, match="aware"):
        new_case(received_at=at("2026-11-02 10:00").replace(tzinfo=None))
    with pytest.raises(DomainError, match="description"):
        new_case(description="   ")


@settings(max_examples=300)
@given(st.lists(st.sampled_from(sorted(MOVES)), max_size=25))
def test_random_sequences_only_ever_follow_the_table(targets: list[CaseStatus]) -> None:
    case = new_case()
    for target in targets:
        source = case.status
        events = len(case.pending_events)
        try:
            MOVES[target](case)
        except IllegalTransition:
            assert target not in TRANSITIONS[source]
            assert case.status is source and len(case.pending_events) == events
        else:
            assert target in TRANSITIONS[source]
            assert case.status is target and len(case.pending_events) == events + 1
    assert case.pending_events[0].action == "filed"
    assert all(e.case_number == case.number for e in case.pending_events)
