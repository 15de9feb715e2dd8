"""Admission to any Socket.IO namespace: the workspace of the handshake, a verified access
token, server-chosen rooms, and a disconnect when the token expires. Plugin namespaces are
also refused for workspaces that have not enabled their plugin."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import UTC, datetime
from typing import Any

import socketio

from marcus.errors import MarcusError
from marcus.realtime.hub import role_room, tenant_room, user_room

log = logging.getLogger("marcus.realtime")
STAFF_ROLES = frozenset({"owner", "admin", "staff"})
_expiry: dict[tuple[str, str], asyncio.Task[None]] = {}


def bearer(value: str | None) -> str | None:
    """The token of an ``Authorization`` value, with or without ``Bearer``."""
    if not value:
        return None
    scheme, _, rest = value.strip().partition(" ")
    return rest.strip() if scheme.lower() == "bearer" and rest else value.strip()


async def admit(
    kernel: Any, namespace: Any, sid: str, environ: dict[str, Any], auth: Any, *, plugin: str | None = None
) -> dict[str, Any]:
    """Authenticate a connection and put it in its rooms; ``ConnectionRefusedError`` otherwise.

    Returns (and saves as the Socket.IO session) ``{"tenant", "principal", "roles", "staff"}``.
    """
    from marcus.auth.deps import authenticate_token  # auth builds on the kernel, not the reverse

    auth = auth if isinstance(auth, dict) else {}
    token = auth.get("token") or bearer(environ.get("HTTP_AUTHORIZATION"))
    try:
        tenant = await kernel.tenants.resolve(environ.get("HTTP_HOST"), environ.get("HTTP_X_TENANT"))
        if plugin is not None and not tenant.has_plugin(plugin):
            raise socketio.exceptions.ConnectionRefusedError(f"'{plugin}' is not enabled for this workspace")
        principal, expires_at, roles = await authenticate_token(kernel, str(token or ""), tenant)
    except MarcusError as exc:
        raise socketio.exceptions.ConnectionRefusedError(exc.detail) from exc
    rooms = [tenant_room(tenant.id), user_room(tenant.id, principal.user_id), *(role_room(tenant.id, r) for r in roles)]
    for room in rooms:
        await namespace.enter_room(sid, room)
    session = {"tenant": tenant, "principal": principal, "roles": roles, "staff": bool(STAFF_ROLES & set(roles))}
    await namespace.save_session(sid, session)
    _expiry[(namespace.namespace, sid)] = asyncio.create_task(_expire(namespace, sid, expires_at))
    return session


def release(namespace: Any, sid: str) -> None:
    """Forget a disconnected socket's expiry timer."""
    task = _expiry.pop((namespace.namespace, sid), None)
    if task is not None:
        task.cancel()


async def _expire(namespace: Any, sid: str, expires_at: datetime) -> None:
    with contextlib.suppress(asyncio.CancelledError):
        await asyncio.sleep(max(0.0, (expires_at - datetime.now(UTC)).total_seconds()))
        log.info("disconnecting a socket whose token expired")
        await namespace.disconnect(sid)


def gate_namespace(namespace: Any, plugin: str, kernel: Any) -> Any:
    """Wrap a plugin's namespace: ``admit`` before its own ``connect`` handler runs."""
    original = namespace.trigger_event

    async def trigger_event(event: str, *args: Any) -> Any:
        if event == "connect":
            sid, environ = args[0], args[1]
            await admit(kernel, namespace, sid, environ, args[2] if len(args) > 2 else None, plugin=plugin)
        elif event == "disconnect":
            release(namespace, args[0])
        return await original(event, *args)

    namespace.trigger_event = trigger_event
    return namespace
