"""Builds the long-lived parts of the service from `Settings`."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine

from bots.rejections import RejectedInputs
from bots.supervisor import Health, Supervisor
from bots.telegram.channel import TelegramChannel, WebFiles, WebhookConfig
from bots.web.api import Api, Limits
from bots.web.channel import WebChannel
from bots.web.delivery import WebDelivery
from bots.web.events import Listeners
from bots.web.key import token_key
from bots.web.mail import Mailer, SmtpSettings
from bots.web.ratelimit import RateLimit
from bots.web.tokens import Signer
from bots.wechat.channel import WeChatChannel
from bots.wechat.client import BankWeChatClient, TokenStore, WeChatApi
from bots.wechat.codec import WeChatCodec
from bots.wechat.push import WeChatPusher
from core.cases.calendar import WorkingCalendar
from core.cases.deadlines import DeadlinePolicy
from core.cases.provisional import recount_provisional_deadlines, report_missing_years
from core.channel.routing import Router
from core.chasing.rules import BusinessHours
from core.customers.conversation import ConversationService
from core.customers.dialogue.flow import DialogueSettings
from core.desk.service import DeskService
from core.identity import Platform
from intake.alerts import KEY_PREFIX as ALERT_KEY_PREFIX
from intake.alerts import AdminAlerts
from intake.calendar_source import CalendarFileWatch, build_calendar
from intake.chat_reports import ChatReports
from intake.clock import system_clock
from intake.config import Settings
from intake.logs import SECRETS
from intake.measured import MeasuredRouter
from intake.outbound import ChannelDelivery
from scheduler.dispatcher import Dispatcher
from scheduler.runner import SingleSchedulerLock, SweepScheduler, build_scheduler
from storage.database import create_engine
from storage.outbox import SqlOutboxQueue
from storage.redis_tokens import RedisTokenStore
from storage.unit_of_work import SqlUnitOfWork
from storage.web import SqlWebStore
from storage.wechat import SqlWeChatStore

log = logging.getLogger("intake")


# How long a running scheduler job may take to finish at stop: well inside the 30 s the
# systemd units give the whole stop (TimeoutStopSec) before they kill the process.
JOB_GRACE_S = 15.0


@dataclass
class Wiring:
    settings: Settings
    engine: AsyncEngine
    calendar: WorkingCalendar
    policy: DeadlinePolicy
    conversations: ConversationService
    desk: DeskService
    dispatcher: Dispatcher
    clock: Callable[[], datetime]
    telegram: TelegramChannel | None
    wechat: WeChatChannel | None
    alerts: AdminAlerts
    rejected_inputs: RejectedInputs
    reports: ChatReports
    web: Api
    _stop: asyncio.Event = field(default_factory=asyncio.Event)
    _running: list[asyncio.Task[None]] = field(default_factory=list)
    _scheduler: SweepScheduler | None = None
    _scheduler_lock: SingleSchedulerLock | None = None

    def unit_of_work(self) -> SqlUnitOfWork:
        return SqlUnitOfWork(self.engine)

    async def start(self, *, receive: bool = True, scheduler: bool = False) -> None:
        """Start, with `scheduler`, the deadline chasing and the digest, the dispatcher,
        and then the channels (Telegram receiving updates too, unless `receive` is False).
        A channel that cannot reach its platform keeps trying in the background; this
        returns once each has come up or failed a first time."""
        await self.settle_calendar()
        if scheduler:
            self._start_scheduler()
        self._stop.clear()
        self._running.append(asyncio.create_task(self.dispatcher.run(self._stop)))
        starting = []
        if self.telegram is not None:
            starting.append(self.telegram.start(receive=receive))
        if self.wechat is not None:
            starting.append(self.wechat.start())
        await asyncio.gather(*starting)

    def channel_health(self) -> dict[str, Health]:
        """Each configured channel's connection to its platform."""
        channels = {"telegram": self.telegram, "wechat": self.wechat}
        return {name: c.supervisor.health for name, c in channels.items() if c is not None}

    async def settle_calendar(self) -> None:
        """At start: count again the provisional deadlines whose year is now known (a new
        calendar file or library), and tell the admins about years still missing."""
        counted = await recount_provisional_deadlines(
            self.unit_of_work, calendar=self.calendar, now=self.clock()
        )
        if counted:
            log.info("provisional deadlines counted again", extra={"cases": counted})
        await report_missing_years(self.unit_of_work, alerts=self.alerts)

    def _start_scheduler(self) -> None:
        if self.engine.dialect.name == "sqlite" and self.engine.url.database:
            self._scheduler_lock = SingleSchedulerLock(Path(self.engine.url.database))
            self._scheduler_lock.acquire()
        self._scheduler = build_scheduler(
            self.unit_of_work,
            calendar=self.calendar,
            hours=BusinessHours.parse(self.settings.intake_business_hours),
            alerts=self.alerts,
            clock=self.clock,
            after_commit=self.dispatcher.wake,
            dialogue_idle=timedelta(minutes=self.settings.intake_dialogue_timeout_minutes),
            refresh_calendar=CalendarFileWatch(
                self.calendar, self.settings.intake_calendar_file
            ).refresh,
            message_retention=timedelta(days=self.settings.intake_outbox_retention_days),
        )
        self._scheduler.start()
        log.info("scheduler started")

    async def stop(self) -> None:
        """Stop taking traffic, let the scheduler's running jobs and the dispatcher's
        current message finish, close."""
        if self._scheduler is not None:
            await self._scheduler.stop(JOB_GRACE_S)
            self._scheduler = None
        if self._scheduler_lock is not None:
            self._scheduler_lock.release()
            self._scheduler_lock = None
        if self.telegram is not None:
            await self.telegram.stop()
        if self.wechat is not None:
            await self.wechat.stop()
        self._stop.set()
        await asyncio.gather(*self._running)
        self._running.clear()

    async def close(self) -> None:
        await self.engine.dispose()


def build(settings: Settings, clock: Callable[[], datetime] = system_clock) -> Wiring:
    engine = create_engine(settings.database_url, keys=settings.data_keys)
    calendar = build_calendar(settings)
    policy = DeadlinePolicy(
        complaint_days=settings.intake_complaint_days,
        suggestion_days=settings.intake_suggestion_days,
        praise_days=settings.intake_praise_days,
    )
    delivery = ChannelDelivery()
    delivery.reports = ChatReports(engine, settings, clock)
    alerts = AdminAlerts(lambda: SqlUnitOfWork(engine), clock)
    dispatcher = Dispatcher(
        SqlOutboxQueue(engine),
        delivery,
        alerts,
        clock,
        chat_interval={
            Platform.TELEGRAM: timedelta(seconds=settings.telegram_chat_interval_seconds)
        },
        lease=timedelta(seconds=settings.intake_outbox_lease_seconds),
        backoff_base_s=settings.intake_outbox_backoff_seconds,
        quiet_prefix=ALERT_KEY_PREFIX,
        held=delivery.down_platforms,
    )
    alerts.after_commit = dispatcher.wake
    conversations = ConversationService(
        lambda: SqlUnitOfWork(engine),
        calendar=calendar,
        policy=policy,
        settings=DialogueSettings(
            branches=settings.branches,
            idle_timeout=timedelta(minutes=settings.intake_dialogue_timeout_minutes),
            complaint_days=settings.intake_complaint_days,
            suggestion_days=settings.intake_suggestion_days,
        ),
        alerts=alerts,
        rewards=settings.rewards,
        after_commit=dispatcher.wake,
    )
    desk = DeskService(
        lambda: SqlUnitOfWork(engine),
        calendar=calendar,
        policy=policy,
        rewards=settings.rewards,
        after_commit=dispatcher.wake,
    )
    router = MeasuredRouter(desk, conversations)
    delivery.telegram = _telegram(settings, router, clock, dispatcher.wake)
    rejected_inputs = RejectedInputs()
    delivery.wechat = _wechat(
        settings, engine, router, calendar, clock, dispatcher.wake, rejected_inputs
    )
    web_api = _web(settings, engine, router, clock)
    delivery.web = WebDelivery(web_api.channel, web_api.listeners, _mailer(settings))
    if delivery.telegram is not None:
        delivery.telegram.web_files = _web_files(SqlWebStore(engine))
    return Wiring(
        settings=settings,
        engine=engine,
        calendar=calendar,
        policy=policy,
        conversations=conversations,
        desk=desk,
        dispatcher=dispatcher,
        clock=clock,
        telegram=delivery.telegram,
        wechat=delivery.wechat,
        alerts=alerts,
        rejected_inputs=rejected_inputs,
        reports=delivery.reports,
        web=web_api,
    )


def _web(
    settings: Settings, engine: AsyncEngine, router: Router, clock: Callable[[], datetime]
) -> Api:
    configured = settings.intake_web_token_key
    key = token_key(configured.get_secret_value() if configured else None, settings.data_folder)
    SECRETS.add([key])  # a generated key is no configured secret, yet must never be logged
    channel = WebChannel(
        router,
        SqlWebStore(engine),
        Signer(key.encode()),
        clock=clock,
        page_url=settings.page_url,
        session_lifetime=timedelta(hours=settings.intake_web_session_hours),
        resume_lifetime=timedelta(days=settings.intake_web_resume_days),
    )
    limits = Limits(
        per_token=RateLimit(settings.intake_web_rate_per_token),
        per_ip=RateLimit(settings.intake_web_rate_per_ip),
        upload_max=settings.intake_web_upload_max_bytes,
    )
    return Api(channel, Listeners(), limits, settings.web_origins)


def _web_files(store: SqlWebStore) -> WebFiles:
    async def web_file(file_id: str) -> tuple[str, bytes] | None:
        found = await store.file(file_id)
        return None if found is None else (found.content_type, found.content)

    return web_file


def _mailer(settings: Settings) -> Mailer | None:
    if settings.intake_smtp_host is None:
        return None
    password = settings.intake_smtp_password
    return Mailer(
        SmtpSettings(
            host=settings.intake_smtp_host,
            port=settings.intake_smtp_port,
            sender=settings.intake_smtp_from,
            user=settings.intake_smtp_user,
            password=password.get_secret_value() if password else None,
            starttls=settings.intake_smtp_starttls,
        )
    )


def _telegram(
    settings: Settings,
    router: Router,
    clock: Callable[[], datetime],
    wake: Callable[[], None],
) -> TelegramChannel | None:
    if settings.telegram_bot_token is None:
        return None
    webhook = None
    if settings.telegram_webhook_url and settings.telegram_webhook_secret:
        webhook = WebhookConfig(
            settings.telegram_webhook_url, settings.telegram_webhook_secret.get_secret_value()
        )
    return TelegramChannel.build(
        token=settings.telegram_bot_token.get_secret_value(),
        api_base_url=settings.telegram_api_base_url,
        router=router,
        clock=clock,
        webhook=webhook,
        timeout_s=settings.telegram_timeout_seconds,
        retry_s=settings.intake_channel_retry_seconds,
        on_up=wake,
    )


def wechat_api(
    settings: Settings, engine: AsyncEngine, clock: Callable[[], datetime]
) -> WeChatApi | None:
    if not (settings.wechat_app_id and settings.wechat_app_secret):
        return None
    client = BankWeChatClient(
        settings.wechat_app_id,
        settings.wechat_app_secret.get_secret_value(),
        settings.wechat_api_base_url,
    )
    tokens: TokenStore = SqlWeChatStore(engine)
    if settings.redis_url:
        tokens = RedisTokenStore(Redis.from_url(settings.redis_url))
    return WeChatApi(client, tokens, clock)


def _wechat(
    settings: Settings,
    engine: AsyncEngine,
    router: Router,
    calendar: WorkingCalendar,
    clock: Callable[[], datetime],
    wake: Callable[[], None],
    rejected_inputs: RejectedInputs,
) -> WeChatChannel | None:
    api = wechat_api(settings, engine, clock)
    if api is None or settings.wechat_token is None or settings.wechat_app_id is None:
        return None
    store = SqlWeChatStore(engine)
    aes_key = settings.wechat_aes_key
    secret = settings.wechat_app_secret.get_secret_value() if settings.wechat_app_secret else ""
    supervisor = Supervisor(
        "wechat",
        clock=clock,
        base_s=settings.intake_channel_retry_seconds,
        secrets=(secret,),
        on_up=wake,
    )
    return WeChatChannel(
        codec=WeChatCodec(
            token=settings.wechat_token.get_secret_value(),
            app_id=settings.wechat_app_id,
            aes_key=aes_key.get_secret_value() if aes_key else None,
            replay_window_s=settings.wechat_replay_window_seconds,
        ),
        router=router,
        followers=store,
        pusher=WeChatPusher(api, store, clock, settings.wechat_template_case_update, calendar.tz),
        app_id=settings.wechat_app_id,
        clock=clock,
        wake=wake,
        supervisor=supervisor,
        connect=api.ensure_token,
        rejected=rejected_inputs,
    )
