"""The OpenAPI 3.1 document of the web API, written from its route table."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bots.web import schemas

if TYPE_CHECKING:
    from bots.web.api import Route

_JSON_ERROR = "application/json"


def document(routes: tuple[Route, ...]) -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    for route in routes:
        paths.setdefault(route.path, {})[route.method.lower()] = _operation(route)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Feedback intake: web, app and kiosk channel",
            "version": "1",
            "description": (
                "One conversation per session: the same dialogue, texts and cases as the "
                'chat bots. Errors are `{"error": {"code", "message"}}`.'
            ),
        },
        "paths": paths,
        "components": {
            "schemas": schemas.COMPONENTS,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }


def _operation(route: Route) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "operationId": route.handler.__name__,
        "summary": route.summary,
        "responses": {
            str(status): _response(status, description, schema, route)
            for status, (description, schema) in route.responses.items()
        },
    }
    if route.authorised:
        operation["security"] = [{"bearer": []}]
    if route.request is not None:
        operation["requestBody"] = {
            "required": route.request_type != "application/json" or route.authorised,
            "content": {route.request_type: {"schema": route.request}},
        }
    if route.query:
        operation["parameters"] = [
            {"name": name, "in": "query", "required": False, "schema": schema, "description": text}
            for name, schema, text in route.query
        ]
    return operation


def _response(
    status: int, description: str, schema: schemas.Schema | None, route: Route
) -> dict[str, Any]:
    response: dict[str, Any] = {"description": description}
    if schema is not None:
        media = route.produces if status < 300 else _JSON_ERROR
        response["content"] = {media: {"schema": schema}}
    if status == 429:
        response["headers"] = {
            "Retry-After": {"schema": {"type": "integer"}, "description": "seconds to wait"}
        }
    return response
