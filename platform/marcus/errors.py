"""Domain errors and their rendering as RFC 9457 problem details.

Services raise ``NotFound``, ``Forbidden``, ``Conflict``, ``Invalid`` ...; one set of handlers
turns them (and FastAPI's own validation and HTTP errors) into ``application/problem+json``.
No stack trace, SQL or secret ever reaches a response.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from psycopg import DataError as PsycopgDataError
from psycopg import InterfaceError as PsycopgInterfaceError
from psycopg import OperationalError as PsycopgOperationalError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from sqlalchemy import exc as sa_exc
from starlette.exceptions import HTTPException as StarletteHTTPException

from marcus.logs import request_id_var

PROBLEM_JSON = "application/problem+json"
log = logging.getLogger("marcus.errors")


class MarcusError(Exception):
    """Base of every error a service may raise; rendered as a problem document."""

    status: int = 400
    code: str = "bad_request"
    title: str = "Bad request"

    def __init__(self, detail: str, *, code: str | None = None, errors: list[dict[str, Any]] | None = None):
        super().__init__(detail)
        self.detail = detail
        self.code = code or self.code
        self.errors = errors or []


class NotFound(MarcusError):
    status, code, title = 404, "not_found", "Not found"


class Unauthorized(MarcusError):
    status, code, title = 401, "unauthorized", "Unauthorized"


class Forbidden(MarcusError):
    status, code, title = 403, "forbidden", "Forbidden"


class Conflict(MarcusError):
    status, code, title = 409, "conflict", "Conflict"


class Invalid(MarcusError):
    status, code, title = 422, "invalid", "Invalid input"


class Unavailable(MarcusError):
    status, code, title = 503, "unavailable", "Service unavailable"


PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["type", "title", "status", "detail", "code"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "code": {"type": "string"},
        "request_id": {"type": "string"},
        "errors": {"type": "array", "items": {"type": "object"}},
    },
}


def problem_responses() -> dict[int | str, dict[str, Any]]:
    """The OpenAPI ``responses`` every route shares: any 4xx is a problem document (RFC 9457).

    Routes still declare the statuses they mean (``409``, ``413`` ...); this covers the rest
    (401, 403, 404, 422, 429) with the shape ``problem`` really sends.
    """
    content = {PROBLEM_JSON: {"schema": PROBLEM_SCHEMA}}
    return {
        422: {"description": "Invalid input", "content": content},
        "4XX": {"description": "Client error as problem details", "content": content},
    }


def problem(status: int, title: str, detail: str, code: str, **extra: Any) -> JSONResponse:
    """Build a problem-details response carrying the request id."""
    body: dict[str, Any] = {
        "type": f"https://marcus.dev/problems/{code.replace('_', '-')}",
        "title": title,
        "status": status,
        "detail": detail,
        "code": code,
    }
    body.update({k: v for k, v in extra.items() if v})
    if rid := request_id_var.get():
        body["request_id"] = rid
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON)


def _field_path(loc: tuple[Any, ...] | list[Any]) -> str:
    return ".".join(str(part) for part in loc)


async def _marcus_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, MarcusError)
    return problem(exc.status, exc.title, exc.detail, exc.code, errors=exc.errors)


async def _validation_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [{"field": _field_path(e["loc"]), "message": e["msg"], "type": e["type"]} for e in exc.errors()]
    fields = ", ".join(e["field"] for e in errors) or "request"
    return problem(422, "Invalid input", f"Invalid value for: {fields}", "validation_error", errors=errors)


async def _http_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = {404: "not_found", 405: "method_not_allowed", 401: "unauthorized"}.get(exc.status_code, "http_error")
    title = {404: "Not found", 405: "Method not allowed"}.get(exc.status_code, "HTTP error")
    response = problem(exc.status_code, title, str(exc.detail), code)
    for name, value in (exc.headers or {}).items():
        response.headers[name] = value
    return response


# Connection-level failures of the shared state (database server down or restarting, connection
# cut, pool exhausted; Redis unreachable): a retryable 503, never a 500. SQLAlchemy wraps
# psycopg's errors; the raw ones are listed for code that talks to psycopg directly.
DATABASE_UNAVAILABLE: tuple[type[Exception], ...] = (
    sa_exc.OperationalError,
    sa_exc.InterfaceError,
    sa_exc.TimeoutError,
    PsycopgOperationalError,
    PsycopgInterfaceError,
)
REDIS_UNAVAILABLE: tuple[type[Exception], ...] = (RedisConnectionError, RedisTimeoutError)
RETRY_AFTER_SECONDS = 5


async def _database_unavailable(_: Request, exc: Exception) -> JSONResponse:
    cause = getattr(exc, "orig", None) or exc
    log.warning("database unavailable: %s", type(cause).__name__, extra={"sqlstate": getattr(cause, "sqlstate", None)})
    return _unavailable("The database cannot be reached right now; try again shortly.", "database_unavailable")


async def _redis_unavailable(_: Request, exc: Exception) -> JSONResponse:
    log.warning("redis unavailable: %s", type(exc).__name__)
    return _unavailable("A shared service cannot be reached right now; try again shortly.", "redis_unavailable")


def _unavailable(detail: str, code: str) -> JSONResponse:
    response = problem(503, "Service unavailable", detail, code)
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


async def _unstorable_value(_: Request, exc: Exception) -> JSONResponse:
    # SQLSTATE class 22 (data exception): a value that passed validation but that PostgreSQL
    # cannot store, e.g. a NUL character in text or a number beyond its column. Bad input, not
    # a server fault; the database's message is logged, never sent.
    cause = getattr(exc, "orig", None) or exc
    log.warning("value refused by the database: %s", cause, extra={"sqlstate": getattr(cause, "sqlstate", None)})
    detail = "A value in the request cannot be stored (for example a NUL character, or a number out of range)."
    return problem(422, "Invalid input", detail, "unstorable_value")


async def _unhandled(_: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error", exc_info=exc)
    return problem(500, "Internal error", "An unexpected error occurred; it has been logged.", "internal_error")


def install_error_handlers(app: FastAPI) -> None:
    """Render every error as problem details."""
    app.add_exception_handler(MarcusError, _marcus_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    for error in DATABASE_UNAVAILABLE:
        app.add_exception_handler(error, _database_unavailable)
    for error in REDIS_UNAVAILABLE:
        app.add_exception_handler(error, _redis_unavailable)
    for error in (sa_exc.DataError, PsycopgDataError):
        app.add_exception_handler(error, _unstorable_value)
    app.add_exception_handler(Exception, _unhandled)
