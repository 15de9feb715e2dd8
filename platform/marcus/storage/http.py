"""``UploadRoute``: an ``APIRoute`` class that refuses an oversize request body before the
multipart parser spools it to disk.

FastAPI parses a form before any dependency runs, so limits checked in a handler come after
the whole body was received. Routes of a router made with ``APIRouter(route_class=UploadRoute)``
answer 413 at once when ``Content-Length`` is over the platform's ceiling (``MAX_FILES`` files
of ``MARCUS_UPLOAD_MAX_BYTES`` plus the form's overhead), and stop reading a body without a
length as soon as it goes over. Per-file and per-workspace limits are checked after parsing.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRoute
from starlette.types import Message

from marcus.storage.base import FileTooLarge
from marcus.storage.limits import MAX_FILES

FORM_OVERHEAD = 1024 * 1024


def body_ceiling(request: Request) -> int:
    """The largest body an upload request of this app may send."""
    return int(request.app.state.kernel.settings.upload_max_bytes) * MAX_FILES + FORM_OVERHEAD


def _too_large(ceiling: int) -> FileTooLarge:
    detail = f"The request is larger than {ceiling // (1024 * 1024)} MiB."
    return FileTooLarge(detail, code="request_too_large", errors=[{"field": "body", "message": detail}])


class UploadRoute(APIRoute):
    """A route whose request body is capped before it is parsed (413 ``request_too_large``)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def capped(request: Request) -> Response:
            ceiling = body_ceiling(request)
            length = request.headers.get("content-length")
            if length is not None and length.isdigit() and int(length) > ceiling:
                raise _too_large(ceiling)
            received = 0
            receive = request.receive

            async def counting() -> Message:
                nonlocal received
                message = await receive()
                received += len(message.get("body", b""))
                if received > ceiling:
                    raise _too_large(ceiling)
                return message

            return await handler(Request(request.scope, counting))

        return capped
