"""The OpenAPI 3.1 document is written from the route table: every route of the API is
in it, its schemas are valid JSON Schema, and requests generated from it (schemathesis,
with and without a valid session) never make the service answer 5xx."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from bots.web.api import PREFIX, ROUTES
from bots.web.openapi import document
from intake.server import build_web_app
from intake.wiring import build
from tests.conftest import database_url, fresh_engine
from tests.web.conftest import Clock, WebClient, serving, web_settings

SCHEMA = schemathesis.openapi.from_dict(document(ROUTES)).exclude(
    path=f"{PREFIX}/events"  # a stream that stays open; tested on its own
)


async def test_every_api_route_is_in_the_document(client: WebClient) -> None:
    status, served, _ = await client.request("GET", "/api/v1/openapi.json")
    assert status == 200 and served == document(ROUTES)
    assert served["openapi"].startswith("3.1")
    app = build_web_app(client.wiring)
    mounted = {
        (r.method.lower(), r.resource.canonical)
        for r in app.router.routes()
        if r.resource is not None and r.resource.canonical.startswith(PREFIX) and r.method != "HEAD"
    }
    documented = {(m, p) for p, ops in served["paths"].items() for m in ops}
    assert mounted == documented and len(documented) == len(ROUTES)
    for path, operations in served["paths"].items():
        for method, operation in operations.items():
            assert operation["responses"], (method, path)
            for schema in _schemas(operation):
                assert jsonschema_rs.meta.is_valid(schema), (method, path, schema)


def _schemas(operation: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for content in [operation.get("requestBody", {}).get("content", {})] + [
        r.get("content", {}) for r in operation["responses"].values()
    ]:
        for media in content.values():
            yield media["schema"]
    for parameter in operation.get("parameters", ()):
        yield parameter["schema"]


class Served:
    """The service on a local port, run by a loop in a thread of its own: schemathesis
    calls it synchronously."""

    def __init__(self, tmp_path: Path) -> None:
        self._tmp_path = tmp_path
        self._ready = threading.Event()
        self._stop: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self.base = ""
        self._thread = threading.Thread(target=lambda: asyncio.run(self._run()), daemon=True)

    def __enter__(self) -> Served:
        self._thread.start()
        assert self._ready.wait(30)
        return self

    def __exit__(self, *_exc: object) -> None:
        assert self._loop is not None and self._stop is not None
        self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(30)

    async def _run(self) -> None:
        url = database_url(self._tmp_path)
        await (await fresh_engine(url)).dispose()
        many = {"intake_web_rate_per_token": 100_000, "intake_web_rate_per_ip": 100_000}
        wiring = build(web_settings(url, **many), clock=Clock())
        await wiring.start()
        self._loop, self._stop = asyncio.get_running_loop(), asyncio.Event()
        async with serving(wiring) as base:
            self.base = base
            self._ready.set()
            await self._stop.wait()
        await wiring.stop()
        await wiring.close()


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    with Served(tmp_path) as running:
        yield running


@SCHEMA.parametrize()
@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_generated_requests_never_get_a_server_error(case: Any, served: Served) -> None:
    token = requests.post(f"{served.base}/api/v1/sessions", json={}, timeout=10).json()["token"]
    headers = (
        None
        if case.headers and "Authorization" in case.headers
        else {"Authorization": f"Bearer {token}"}
    )
    response = case.call(base_url=served.base, headers=headers, timeout=10)
    case.validate_response(response, checks=[not_a_server_error])
    assert response.status_code < 500
