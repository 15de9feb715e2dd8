"""The seed's raw WebSocket, ``/ws/notifications``, for clients of the single-business backend.

Token from ``Authorization`` (with or without ``Bearer``) or ``?token=``, verified this time.
Portal pages connect with their session cookie instead (same-origin sockets only, see
``marcus.portal.cookies.websocket_token``); those sockets also hear the workspace's room.
Frames are JSON ``{"event", "data"}``: ``connected`` ``{userId, role}``, ``auth_error``
``{message}`` (then close), and ``notification:new`` with the notification in camelCase.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, WebSocket, WebSocketDisconnect

from marcus.errors import MarcusError
from marcus.portal.cookies import websocket_token
from marcus.realtime.gate import STAFF_ROLES, bearer
from marcus.realtime.hub import role_room, tenant_room, user_room

router = APIRouter()
POLICY_VIOLATION = 1008


def camel(data: dict[str, Any]) -> dict[str, Any]:
    """``is_admin_read`` -> ``isAdminRead`` (top-level keys), as the seed's frames had them."""
    return {k.split("_")[0] + "".join(p.title() for p in k.split("_")[1:]): v for k, v in data.items()}


class _CamelSocket:
    """Adapts hub frames (snake_case) to the seed's camelCase payloads."""

    def __init__(self, ws: WebSocket) -> None:
        self.ws = ws

    async def send_text(self, data: str) -> None:
        frame = json.loads(data)
        if isinstance(frame.get("data"), dict):
            frame["data"] = camel(frame["data"])
        await self.ws.send_text(json.dumps(frame))


@router.websocket("/ws/notifications")
async def notifications_socket(ws: WebSocket) -> None:
    """Live notifications over a plain WebSocket (the seed's protocol)."""
    from marcus.auth.deps import authenticate_token

    kernel = ws.app.state.kernel
    await ws.accept()
    token = bearer(ws.headers.get("authorization")) or ws.query_params.get("token") or ""
    portal = not token
    if portal:
        token = websocket_token(kernel.settings, ws.headers, ws.cookies) or ""
    try:
        tenant = await kernel.tenants.resolve(ws.headers.get("host"), ws.headers.get("x-tenant"))
        principal, expires_at, roles = await authenticate_token(kernel, token, tenant)
    except MarcusError as exc:
        await ws.send_text(json.dumps({"event": "auth_error", "data": {"message": exc.detail}}))
        await ws.close(code=POLICY_VIOLATION)
        return
    rooms = [user_room(tenant.id, principal.user_id), *(role_room(tenant.id, r) for r in roles)]
    if portal:
        rooms.append(tenant_room(tenant.id))
    handle = kernel.hub.listen(_CamelSocket(ws), rooms)
    role = "ADMIN" if STAFF_ROLES & set(roles) else "CUSTOMER"
    await ws.send_text(json.dumps({"event": "connected", "data": {"userId": str(principal.user_id), "role": role}}))
    try:
        await asyncio.wait_for(_drain(ws), max(0.0, (expires_at - datetime.now(UTC)).total_seconds()))
    except TimeoutError:
        with contextlib.suppress(Exception):
            await ws.close(code=POLICY_VIOLATION, reason="token expired")
    finally:
        kernel.hub.forget(handle)


async def _drain(ws: WebSocket) -> None:
    """Read (and ignore) client frames until the client goes away."""
    with contextlib.suppress(WebSocketDisconnect):
        while True:
            await ws.receive_text()
