"""The unit layer: the domain and the use cases on in-memory fakes, with no database.

The database fixtures of `tests/conftest.py` are replaced here by ones that refuse, and
no test here may open a network connection (not even to this machine), so a unit test
that reaches for storage fails at once instead of passing on whatever `DATABASE_URL`
points at.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pytest_socket import disable_socket, enable_socket

from core.cases.calendar import WorkingCalendar
from core.cases.deadlines import DeadlinePolicy
from core.customers.conversation import ConversationService
from core.customers.dialogue.flow import DialogueSettings
from core.desk.service import DeskService
from tests.fakes import InMemoryDatabase, RecordingAlerts


@pytest.fixture(autouse=True)
def no_network() -> Iterator[None]:
    disable_socket(allow_unix_socket=True)  # the event loop wakes itself over one
    yield
    enable_socket()


@pytest.fixture
def engine() -> None:
    pytest.fail("unit tests run without a database: use the `db` fixture")


@pytest.fixture
def uow() -> None:
    pytest.fail("unit tests run without a database: use the `db` fixture")


@pytest.fixture
def db() -> InMemoryDatabase:
    return InMemoryDatabase()


@pytest.fixture
def alerts() -> RecordingAlerts:
    return RecordingAlerts()


@pytest.fixture
def conversations(
    db: InMemoryDatabase, calendar: WorkingCalendar, alerts: RecordingAlerts
) -> ConversationService:
    """The customer side, as the bots call it, on the fake."""
    return ConversationService(
        db.unit_of_work,
        calendar=calendar,
        policy=DeadlinePolicy(),
        settings=DialogueSettings(),
        alerts=alerts,
    )


@pytest.fixture
def desk(db: InMemoryDatabase, calendar: WorkingCalendar) -> DeskService:
    """The staff desk, as the bots call it, on the fake."""
    return DeskService(db.unit_of_work, calendar=calendar, policy=DeadlinePolicy())
