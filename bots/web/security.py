"""What every response of the web routes gets and every request to them goes through:
security headers and a strict Content-Security-Policy, CORS for the configured origins
only, the rate per client address, and refusals as JSON (never a traceback)."""

from __future__ import annotations

import logging

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware

from bots.web.errors import ApiError, error_response
from bots.web.ratelimit import RateLimit

log = logging.getLogger("bots.web")

API_PREFIX = "/api/v1/"
# The page and what it loads; `bots.web.page` serves them.
PAGE_PATHS = ("/", "/web/")
ALLOWED_METHODS = "GET, POST, PUT, DELETE"
ALLOWED_HEADERS = "Authorization, Content-Type, Last-Event-ID"


def is_web_path(path: str) -> bool:
    return path == "/" or path.startswith(API_PREFIX) or path.startswith("/web/")


def secure(request: web.Request, response: web.StreamResponse) -> None:
    """The headers of every web response; called before a stream starts, since the
    middleware sees a streamed response only once its headers are sent."""
    origins: frozenset[str] = request.app[ORIGINS]
    ancestors = " ".join(["'self'", *sorted(origins)])
    response.headers.update(
        {
            "Content-Security-Policy": (
                "default-src 'none'; script-src 'self'; style-src 'self'; "
                "img-src 'self' data: blob:; connect-src 'self'; font-src 'self'; "
                f"base-uri 'none'; form-action 'self'; frame-ancestors {ancestors}"
            ),
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer",
            "Cross-Origin-Opener-Policy": "same-origin",
            "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
        }
    )
    if request.path.startswith(API_PREFIX):
        response.headers.setdefault("Cache-Control", "no-store")
    origin = request.headers.get("Origin")
    if origin is not None and origin.rstrip("/") in origins:
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Vary"] = "Origin"
        response.headers["Access-Control-Expose-Headers"] = "Retry-After"


ORIGINS: web.AppKey[frozenset[str]] = web.AppKey("web_origins")


def guard(per_ip: RateLimit) -> Middleware:
    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        if not is_web_path(request.path):
            return await handler(request)
        try:
            response = await _checked(request, handler, per_ip)
        except ApiError as refusal:
            response = refusal.response()
        except web.HTTPException as refusal:  # no such route, a method it lacks
            code = refusal.reason.lower().replace(" ", "_")
            response = error_response(refusal.status, code, refusal.reason)
            if "Allow" in refusal.headers:
                response.headers["Allow"] = refusal.headers["Allow"]
        except Exception:
            log.exception("web request failed", extra={"path": request.path})
            response = error_response(500, "internal", "something went wrong; try again")
        if not response.prepared:
            secure(request, response)
        return response

    return middleware


async def _checked(request: web.Request, handler: Handler, per_ip: RateLimit) -> web.StreamResponse:
    origin = request.headers.get("Origin")
    if origin is not None and not _allowed(request, origin):
        raise ApiError(403, "origin_not_allowed", "this site may not call the API")
    if request.method == "OPTIONS" and request.path.startswith(API_PREFIX):
        return web.Response(
            status=204,
            headers={
                "Access-Control-Allow-Methods": ALLOWED_METHODS,
                "Access-Control-Allow-Headers": ALLOWED_HEADERS,
                "Access-Control-Max-Age": "600",
            },
        )
    wait = per_ip.take(request.remote or "")
    if wait is not None:
        raise ApiError(
            429,
            "too_many_requests",
            f"too many requests; try again in {wait} s",
            {"Retry-After": str(wait)},
        )
    return await handler(request)


def _allowed(request: web.Request, origin: str) -> bool:
    origin = origin.rstrip("/")
    return origin == f"{request.scheme}://{request.host}" or origin in request.app[ORIGINS]
