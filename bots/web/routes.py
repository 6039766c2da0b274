"""Mounting the web channel on the service's HTTP application: the API, the page and
the middleware that guards them."""

from __future__ import annotations

from aiohttp import web

from bots.web.api import API, ROUTES, Api
from bots.web.page import add_page_routes
from bots.web.security import ORIGINS, guard


def add_web_routes(app: web.Application, api: Api) -> None:
    app[API] = api
    app[ORIGINS] = api.origins
    app.middlewares.append(guard(api.limits.per_ip))
    for route in ROUTES:
        app.router.add_route(route.method, route.path, route.handler)
    add_page_routes(app)

    async def end_streams(_app: web.Application) -> None:
        api.listeners.closing.set()

    app.on_shutdown.append(end_streams)
