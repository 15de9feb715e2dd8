"""The authenticated caller of a request, as every dependency and service sees it."""

from __future__ import annotations

import uuid
from dataclasses import dataclass


@dataclass(frozen=True, kw_only=True)
class Principal:
    """A verified, active user of one workspace.

    Roles are deliberately absent: what a principal may do is decided by the authorization
    layer from the database, never from a claim the client sent.
    """

    user_id: uuid.UUID
    org_id: uuid.UUID
    email: str
    session_id: uuid.UUID
