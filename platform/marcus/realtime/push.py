"""Live pushes tied to a transaction: sent only once it commits (never for a rolled-back change)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy import event as sa_event
from sqlalchemy.ext.asyncio import AsyncSession

_background: set[asyncio.Task[None]] = set()


async def _run(send: Callable[[], Awaitable[None]]) -> None:
    await send()


def after_commit(session: AsyncSession, send: Callable[[], Awaitable[None]]) -> None:
    """Run ``send()`` in the background right after ``session``'s transaction commits."""

    def schedule(_session: Any) -> None:
        task: asyncio.Task[None] = asyncio.get_running_loop().create_task(_run(send))
        _background.add(task)
        task.add_done_callback(_background.discard)

    sa_event.listen(session.sync_session, "after_commit", schedule, once=True)


def push_after_commit(
    session: AsyncSession, kernel: Any, event: str, data: dict[str, Any], *, rooms: list[str], namespace: str
) -> None:
    """Emit ``event`` to ``rooms`` of Socket.IO ``namespace`` once the transaction commits.

    Rooms are the server's (``marcus.user_room(org, user)`` ...), never a client's choice.
    """

    async def send() -> None:
        await kernel.sio.emit(event, data, to=sorted(set(rooms)), namespace=namespace)

    after_commit(session, send)


async def push_to_pages(kernel: Any, org_id: Any, event: str, data: dict[str, Any]) -> None:
    """Send a live frame to the workspace's open portal pages (after the change committed).

    Pages receive it on the kernel's WebSocket and re-dispatch it as a ``marcus:live`` DOM
    event (``{event, data}``, top-level keys of ``data`` in camelCase); Socket.IO clients
    are not sent it. For what every signed-in visitor of the workspace may see.
    """
    await kernel.hub.emit_to_pages(event, data, org_id)
