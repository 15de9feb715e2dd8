"""``GET /``: the seed's liveness text (seed §2 row 1)."""

from __future__ import annotations

from fastapi.responses import PlainTextResponse

from marcus_compat.envelope import CompatRouter

router = CompatRouter()
RUNNING = "Appoinment Management Server Running..."  # the seed's spelling, which clients may match


@router.get("/", response_class=PlainTextResponse, summary="Server running (plain text)")
async def running() -> PlainTextResponse:
    """The seed's plain-text greeting; browsers loading ``/`` get the portal instead."""
    return PlainTextResponse(RUNNING)
