"""The service's own Prometheus series, counted in this process since it started.

Each process (`intake serve`, `intake scheduler`) counts what it did; Prometheus scrapes
each and adds them up. What the database knows (the outbox, overdue cases) is read when
scraped instead (`intake.metrics`), so every process reports the same figures. The
README's "Monitoring" lists every series.
"""

from __future__ import annotations

from prometheus_client import Counter, Histogram

from telemetry.handling import DUPLICATE, ERROR, FORBIDDEN, HANDLED, REJECTED

# The channels people write in on; the outbox's platforms are the same names.
CHANNELS = ("telegram", "wechat", "web")
OUTCOMES = (HANDLED, REJECTED, FORBIDDEN, ERROR, DUPLICATE)
# What became of one delivery attempt by the dispatcher.
SENT, RETRY, FAILED = "sent", "retry", "failed"

REQUESTS = Counter(
    "intake_requests",
    "Incoming requests and updates of the chat channels, by how they turned out.",
    ["channel", "outcome"],
)
DIALOGUE_STEP = Histogram(
    "intake_dialogue_step_seconds",
    "Time to handle one incoming customer or staff message through the router.",
    ["channel"],
)
PLATFORM_ERRORS = Counter(
    "intake_platform_errors",
    "Error answers of the platforms' APIs: Bot API HTTP error codes, WeChat errcodes, "
    "'timeout' or 'network' when no answer came.",
    ["platform", "code"],
)
DELIVERIES = Counter(
    "intake_outbox_deliveries",
    "Delivery attempts of outbox messages by the dispatcher, by result.",
    ["channel", "result"],
)
JOB_RUNS = Counter(
    "intake_scheduler_job_runs",
    "Runs of the scheduler's jobs, by result.",
    ["job", "result"],
)
JOB_DURATION = Histogram(
    "intake_scheduler_job_duration_seconds",
    "How long the scheduler's jobs ran.",
    ["job"],
    buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300),
)

# Every channel's series exist from the start at 0, so a rate is defined before the
# first request and an alert on a rise sees the first one.
for _channel in CHANNELS:
    for _outcome in OUTCOMES:
        REQUESTS.labels(_channel, _outcome)
    for _result in (SENT, RETRY, FAILED):
        DELIVERIES.labels(_channel, _result)
    DIALOGUE_STEP.labels(_channel)
