"""The page at `/`. The routes of the page live here, and only here: the browser chat
replaces this placeholder, which names the API it will talk to."""

from __future__ import annotations

from aiohttp import web

_PLACEHOLDER = """<!doctype html>
<html lang="zh-Hans">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>意见反馈 Feedback</title></head>
<body>
<h1>意见反馈 · Feedback</h1>
<p>The chat page is served here. Its API:
<a href="/api/v1/openapi.json">/api/v1/openapi.json</a>.</p>
</body>
</html>
"""


async def page(_request: web.Request) -> web.Response:
    return web.Response(text=_PLACEHOLDER, content_type="text/html")


def add_page_routes(app: web.Application) -> None:
    app.router.add_get("/", page)
