"""Realtime delivery: Socket.IO namespaces gated per tenant (``gate``), the hub that delivers
a message to a user's and a role's connections on every replica (``hub``), the kernel's
``/notifications`` namespace (``namespace``) and the seed's raw WebSocket (``websocket``)."""

from marcus.realtime.gate import gate_namespace
from marcus.realtime.hub import Hub, role_room, tenant_room, user_room

__all__ = ["Hub", "gate_namespace", "role_room", "tenant_room", "user_room"]
