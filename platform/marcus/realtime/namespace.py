"""The kernel's Socket.IO namespace ``/notifications``.

``connect(auth)`` verifies the access token (``auth={"token": ...}`` or an ``Authorization``
header) for the workspace of the handshake's host, puts the socket in the rooms the server
chooses (workspace, user, each role), disconnects it when the token expires, and replays the
notifications newer than ``auth["last_event_id"]`` (notification ids are time-ordered).
"""

from __future__ import annotations

import uuid
from typing import Any

import socketio
from sqlalchemy import select

from marcus.realtime.gate import admit, release
from marcus.realtime.hub import NAMESPACE

REPLAY_LIMIT = 500


class NotificationsNamespace(socketio.AsyncNamespace):  # type: ignore[misc]
    """Authenticated, server-chosen rooms; ``notification:new`` events pushed by the hub."""

    def __init__(self, kernel: Any) -> None:
        super().__init__(NAMESPACE)
        self.kernel = kernel

    async def on_connect(self, sid: str, environ: dict[str, Any], auth: Any = None) -> None:
        session = await admit(self.kernel, self, sid, environ, auth)
        last = _uuid(auth.get("last_event_id")) if isinstance(auth, dict) else None
        if last is not None:
            tenant, principal = session["tenant"], session["principal"]
            self.server.start_background_task(self._replay, sid, tenant.id, principal.user_id, session["staff"], last)

    async def on_disconnect(self, sid: str, *_: Any) -> None:
        release(self, sid)

    async def _replay(self, sid: str, org_id: uuid.UUID, user_id: uuid.UUID, staff: bool, last: uuid.UUID) -> None:
        from marcus.notifications.models import Notification
        from marcus.notifications.schemas import NotificationRead

        query = select(Notification).where(Notification.organization_id == org_id, Notification.id > last)
        if not staff:
            query = query.where(Notification.user_id == user_id)
        async with self.kernel.db.tenant_session(org_id) as session:
            missed = list(await session.scalars(query.order_by(Notification.id).limit(REPLAY_LIMIT)))
        for note in missed:
            await self.emit("notification:new", NotificationRead.model_validate(note).model_dump(mode="json"), to=sid)


def _uuid(value: Any) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value)) if value else None
    except ValueError:
        return None
