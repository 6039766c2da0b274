"""The page at `/` and the files it loads from `/web/`: a chat on the web API, embeddable
in another site (`/web/embed.js`, or an iframe of `/?embed=1`) and run full-screen on
kiosks (`/?kiosk=1`). Plain files, no build step: the Content-Security-Policy allows
scripts and styles from the service only, so nothing is inline."""

from __future__ import annotations

from importlib.resources import files

from aiohttp import web

_TYPES = {".html": "text/html", ".js": "text/javascript", ".css": "text/css"}
# Only what the folder ships is served, by name: no path from the request reaches a file.
_FILES = ("index.html", "app.js", "app.css", "embed.js")


def _load() -> dict[str, tuple[bytes, str]]:
    folder = files("bots.web") / "static"
    return {
        name: ((folder / name).read_bytes(), _TYPES[name[name.rindex(".") :]]) for name in _FILES
    }


def add_page_routes(app: web.Application) -> None:
    loaded = _load()

    def serve(name: str) -> web.Response:
        content, content_type = loaded[name]
        # Revalidated on every load, so a new release reaches kiosks left running.
        headers = {"Cache-Control": "no-cache"}
        return web.Response(
            body=content, content_type=content_type, charset="utf-8", headers=headers
        )

    async def page(_request: web.Request) -> web.Response:
        return serve("index.html")

    async def asset(request: web.Request) -> web.Response:
        name = request.match_info["name"]
        if name not in loaded or name == "index.html":
            raise web.HTTPNotFound()
        return serve(name)

    app.router.add_get("/", page)
    app.router.add_get("/web/{name}", asset)
