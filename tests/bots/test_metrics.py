"""What operators watch: `/metrics` moving as the service works, guarded by its token,
and one request id from a webhook's log line to the dispatcher's line for its push.

The real service on its database behind aiohttp's test server, Telegram in webhook mode
against the Bot API double, WeChat against its platform double; no dispatcher loop and
no scheduler run on their own: the test delivers and runs jobs itself, on a clock it
moves. The counters are the process's, shared by every test: only differences count.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp import ClientSession
from aiohttp.test_utils import TestServer
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import col

from bots.telegram.webhook import AUTH_HEADER
from bots.telegram.webhook import PATH as WEBHOOK
from bots.wechat.client import TokenUnavailable
from core.cases.calendar import WorkingCalendar
from core.cases.deadlines import DeadlinePolicy
from core.chasing.rules import BusinessHours
from intake.logs import JsonFormatter
from intake.server import REQUEST_ID_HEADER, build_web_app, start_metrics_listener
from intake.wiring import Wiring, build, wechat_api
from scheduler.runner import build_scheduler
from storage.tables import OutboxRow
from storage.unit_of_work import SqlUnitOfWork
from tests.bots.telegram_support import settings_for
from tests.bots.test_wechat import settings_for as wechat_settings_for
from tests.conftest import database_url
from tests.doubles.telegram_bot_api import BotApiDouble
from tests.doubles.wechat_platform import FakeClock, WeChatPlatform
from tests.factories import at, change_stored_case, draft, filed_case

SECRET = "metrics-Secret_0123456789"
TOKEN = "scrape-Token_9876543210"
NOW = at("2026-11-02 10:00")  # a Monday
ALICE, BOB = 1001, 2002

Series = dict[tuple[str, frozenset[tuple[str, str]]], float]


@dataclass
class Service:
    wiring: Wiring
    server: TestServer
    http: ClientSession
    clock: FakeClock

    async def scrape(self, token: str | None = TOKEN) -> Series:
        headers = {} if token is None else {"Authorization": f"Bearer {token}"}
        async with self.http.get(self.server.make_url("/metrics"), headers=headers) as answer:
            assert answer.status == 200, answer.status
            assert answer.content_type == "text/plain"
            return parse(await answer.text())

    async def post(self, update: dict[str, Any], **headers: str) -> tuple[int, str]:
        """POST `update` to the Telegram webhook; the answer's status and X-Request-Id."""
        sent = {AUTH_HEADER: SECRET, **headers}
        url = self.server.make_url(WEBHOOK)
        async with self.http.post(url, data=json.dumps(update), headers=sent) as answer:
            return answer.status, answer.headers[REQUEST_ID_HEADER]

    async def deliver(self) -> int:
        return await self.wiring.dispatcher.deliver_due()


def parse(text: str) -> Series:
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(series: Series, name: str, **labels: str) -> float:
    return series.get((name, frozenset(labels.items())), 0.0)


def moved(before: Series, after: Series, name: str, **labels: str) -> float:
    return value(after, name, **labels) - value(before, name, **labels)


@asynccontextmanager
async def telegram_service(url: str, api: BotApiDouble, **extra: Any) -> AsyncIterator[Service]:
    clock = FakeClock(NOW)
    settings = settings_for(
        url,
        api,
        telegram_webhook_url=f"http://127.0.0.1:1{WEBHOOK}",  # registered, never called
        telegram_webhook_secret=SECRET,
        **extra,
    )
    wiring = build(settings, clock=clock.datetime)
    assert wiring.telegram is not None
    await wiring.telegram.start()
    server = TestServer(build_web_app(wiring), host="127.0.0.1")
    await server.start_server()
    try:
        async with ClientSession() as http:
            yield Service(wiring, server, http, clock)
    finally:
        await wiring.telegram.stop()
        await server.close()
        await wiring.close()


@pytest.fixture
async def service(
    engine: AsyncEngine, tmp_path: Path, telegram_api: BotApiDouble
) -> AsyncIterator[Service]:
    async with telegram_service(
        database_url(tmp_path), telegram_api, intake_metrics_token=TOKEN
    ) as running:
        yield running


async def test_a_webhook_message_and_its_delivery_move_the_series(
    service: Service, telegram_api: BotApiDouble
) -> None:
    before = await service.scrape()
    assert value(before, "intake_database_up") == 1
    assert value(before, "intake_outbox_pending", channel="telegram") == 0

    first = telegram_api.user_text(ALICE, "/start", enqueue=False)
    assert (await service.post(first))[0] == 200
    queued = await service.scrape()
    requests = "intake_requests_total"
    assert moved(before, queued, requests, channel="telegram", outcome="handled") == 1
    steps = "intake_dialogue_step_seconds_count"
    assert moved(before, queued, steps, channel="telegram") == 1
    pending = value(queued, "intake_outbox_pending", channel="telegram")
    assert pending >= 1  # the greeting waits for the dispatcher
    service.clock.advance(30)
    aged = await service.scrape()
    assert value(aged, "intake_outbox_oldest_pending_age_seconds", channel="telegram") == 30

    # Telegram redelivers, a stranger forges, a client sends what the gate refuses.
    assert (await service.post(first))[0] == 200
    assert (await service.post(first, **{AUTH_HEADER: "wrong"}))[0] == 403
    assert (await service.post({"update_id": 9, "message": {"text": 5}}))[0] == 200
    answered = await service.scrape()
    for outcome in ("duplicate", "forbidden", "rejected"):
        assert moved(aged, answered, requests, channel="telegram", outcome=outcome) == 1
    assert moved(aged, answered, requests, channel="telegram", outcome="handled") == 0
    assert moved(aged, answered, steps, channel="telegram") == 1  # the redelivery's

    telegram_api.throttle("sendMessage", retry_after=1)
    await service.deliver()
    throttled = await service.scrape()
    errors = "intake_platform_errors_total"
    assert moved(answered, throttled, errors, platform="telegram", code="429") == 1
    deliveries = "intake_outbox_deliveries_total"
    assert moved(answered, throttled, deliveries, channel="telegram", result="retry") == 1
    assert value(throttled, "intake_outbox_pending", channel="telegram") == pending

    service.clock.advance(5)
    await service.deliver()
    sent = await service.scrape()
    assert moved(throttled, sent, deliveries, channel="telegram", result="sent") == pending
    assert value(sent, "intake_outbox_pending", channel="telegram") == 0
    assert value(sent, "intake_outbox_oldest_pending_age_seconds", channel="telegram") == 0
    assert value(sent, "intake_outbox_failed", channel="telegram") == 0

    # Blocked by the user: the Bot API's 403 is final, and the message is given up on.
    await service.post(telegram_api.user_text(BOB, "/start", enqueue=False))
    telegram_api.fail_next("sendMessage", 403, description="Forbidden: bot was blocked")
    await service.deliver()
    failed = await service.scrape()
    assert moved(sent, failed, errors, platform="telegram", code="403") == 1
    assert moved(sent, failed, deliveries, channel="telegram", result="failed") >= 1
    assert value(failed, "intake_outbox_failed", channel="telegram") >= 1


async def test_scheduler_jobs_are_counted_and_timed(service: Service) -> None:
    wiring = service.wiring

    def jobs(unit_of_work: Any) -> Any:
        return build_scheduler(
            unit_of_work,
            calendar=wiring.calendar,
            hours=BusinessHours.parse("09:00-18:00"),
            alerts=wiring.alerts,
            clock=wiring.clock,
            after_commit=lambda: None,
            dialogue_idle=timedelta(minutes=30),
            message_retention=timedelta(days=3),
        )

    def unreachable() -> SqlUnitOfWork:
        raise ConnectionError("the database went away")

    before = await service.scrape()
    await jobs(wiring.unit_of_work).get_job("retention").func()
    with pytest.raises(ConnectionError):
        await jobs(unreachable).get_job("retention").func()
    after = await service.scrape()
    runs = "intake_scheduler_job_runs_total"
    assert moved(before, after, runs, job="retention", result="ok") == 1
    assert moved(before, after, runs, job="retention", result="error") == 1
    durations = "intake_scheduler_job_duration_seconds_count"
    assert moved(before, after, durations, job="retention") == 2


async def test_overdue_and_provisional_cases_are_read_from_the_database(
    service: Service, engine: AsyncEngine, calendar: WorkingCalendar
) -> None:
    uow, policy = SqlUnitOfWork(engine), DeadlinePolicy()
    late = at("2026-10-12 10:00")  # due days before the service's clock
    await filed_case(uow, draft(), calendar=calendar, policy=policy, now=late)
    withdrawn = await filed_case(uow, draft(), calendar=calendar, policy=policy, now=late)
    await change_stored_case(
        uow, withdrawn.number, lambda c: c.withdraw(reason=None, actor="customer", now=late)
    )
    # Filed at year end, without next year's calendar: its deadline is provisional.
    year_end = await filed_case(
        uow, draft(), calendar=calendar, policy=policy, now=at("2026-12-29 10:00")
    )
    assert year_end.due_provisional_year is not None

    series = await service.scrape()
    assert value(series, "intake_cases_overdue") == 1
    provisional = "intake_cases_provisional_deadlines"
    assert value(series, provisional, year=str(year_end.due_provisional_year)) == 1


async def test_wechat_messages_and_token_errors_are_counted(
    engine: AsyncEngine, tmp_path: Path
) -> None:
    clock = FakeClock(NOW)
    async with WeChatPlatform(now=clock) as platform:
        settings = wechat_settings_for(database_url(tmp_path), platform, intake_metrics_token=TOKEN)
        wiring = build(settings, clock=clock.datetime)
        server = TestServer(build_web_app(wiring), host="127.0.0.1")
        await server.start_server()
        platform.webhook_url = str(server.make_url("/wechat"))
        try:
            async with ClientSession() as http:
                running = Service(wiring, server, http, clock)
                before = await running.scrape()
                assert (await platform.send_text(platform.new_openid(), "你好")).status == 200
                api = wechat_api(settings, engine, clock.datetime)
                assert api is not None
                platform.api.fail_next_errcode("/cgi-bin/token", 40164, "invalid ip")
                with pytest.raises(TokenUnavailable):
                    await api.ensure_token()
                after = await running.scrape()
        finally:
            await server.close()
            await wiring.close()
    requests = "intake_requests_total"
    assert moved(before, after, requests, channel="wechat", outcome="handled") == 1
    assert moved(before, after, "intake_dialogue_step_seconds_count", channel="wechat") == 1
    errors = "intake_platform_errors_total"
    assert moved(before, after, errors, platform="wechat", code="40164") == 1


async def test_metrics_need_the_token_or_their_own_listener(
    engine: AsyncEngine, tmp_path: Path, telegram_api: BotApiDouble
) -> None:
    url = database_url(tmp_path)
    async with telegram_service(url, telegram_api, intake_metrics_token=TOKEN) as guarded:
        metrics = guarded.server.make_url("/metrics")
        for given in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": TOKEN}):
            async with guarded.http.get(metrics, headers=given) as answer:
                assert answer.status == 401
                assert answer.headers["WWW-Authenticate"] == "Bearer"
        await guarded.scrape(TOKEN)

    async with telegram_service(url, telegram_api, intake_metrics_port=0) as public:
        async with public.http.get(public.server.make_url("/metrics")) as answer:
            assert answer.status == 404  # no token: not on the public port at all
        listener = await start_metrics_listener(public.wiring)
        assert listener is not None
        try:
            host, port = listener.addresses[0][:2]
            async with public.http.get(f"http://{host}:{port}/metrics") as answer:
                assert answer.status == 200
                assert "intake_requests_total" in await answer.text()
        finally:
            await listener.cleanup()


class Lines(logging.Handler):
    """The JSON lines the service would write, as written."""

    def __init__(self) -> None:
        super().__init__()
        self.setFormatter(JsonFormatter())
        self.entries: list[dict[str, Any]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.entries.append(json.loads(self.format(record)))


@pytest.fixture
def lines(caplog: pytest.LogCaptureFixture) -> Iterator[Lines]:
    caplog.set_level(logging.INFO)
    handler = Lines()
    root = logging.getLogger()
    root.addHandler(handler)
    yield handler
    root.removeHandler(handler)


async def test_one_request_id_ties_a_webhook_to_the_push_it_caused(
    service: Service, telegram_api: BotApiDouble, engine: AsyncEngine, lines: Lines
) -> None:
    given = "edge-7f3a9c2e"
    status, answered = await service.post(
        telegram_api.user_text(ALICE, "/start", enqueue=False), **{REQUEST_ID_HEADER: given}
    )
    assert status == 200 and answered == given
    async with engine.connect() as conn:
        stored = set((await conn.execute(select(col(OutboxRow.request_id)))).scalars())
    assert stored == {given}
    assert await service.deliver() >= 1

    webhook = [e for e in lines.entries if e["logger"] == "intake.requests"]
    assert [(e["channel"], e["outcome"], e["request_id"]) for e in webhook] == [
        ("telegram", "handled", given)
    ]
    pushes = [e for e in lines.entries if e["msg"] == "outbox message sent"]
    assert pushes and {e["request_id"] for e in pushes} == {given}
    assert all(e["platform"] == "telegram" for e in pushes)

    # A request id that is not one is replaced; none given, one is made.
    _, replaced = await service.post(
        telegram_api.user_text(ALICE, "hi", enqueue=False), **{REQUEST_ID_HEADER: "a b\u00e9"}
    )
    _, made = await service.post(telegram_api.user_text(ALICE, "hello", enqueue=False))
    assert len({replaced, made, given}) == 3
    assert all(len(made_id) == 32 for made_id in (replaced, made))
    async with service.http.get(service.server.make_url("/healthz")) as health:
        assert len(health.headers[REQUEST_ID_HEADER]) == 32
