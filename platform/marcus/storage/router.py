"""``GET /api/v1/files/{token}``: downloads through the local backend's signed links.

No login: the link is the permission, for a few minutes, on its own workspace's host only.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Path
from fastapi.responses import StreamingResponse

from marcus.deps import CurrentTenant, KernelDep
from marcus.storage.base import ObjectNotFound
from marcus.storage.keys import tenant_prefix
from marcus.storage.signing import link_secret, read_link

router = APIRouter(prefix="/files", tags=["files"])
RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"content": {"application/octet-stream": {}}, "description": "The file's bytes"},
    403: {"description": "Tampered or expired link"},
    404: {"description": "No such file here"},
}


def content_disposition(name: str) -> str:
    """``attachment`` with an ASCII fallback name and the exact UTF-8 one (RFC 6266 / 5987)."""
    fallback = "".join(c if c.isascii() and c.isprintable() and c not in '"\\' else "_" for c in name)
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


@router.get("/{token}", response_class=StreamingResponse, responses=RESPONSES)
async def download_file(
    token: Annotated[str, Path(max_length=4096)], tenant: CurrentTenant, kernel: KernelDep
) -> StreamingResponse:
    """Download a file through a signed link of this workspace."""
    link = read_link(link_secret(kernel.settings), token)
    if not link.key.startswith(tenant_prefix(tenant.id)):
        raise ObjectNotFound("No such file.")  # a link of another workspace: not here
    download = await kernel.storage.open(link.key)
    headers = {"X-Content-Type-Options": "nosniff", "Cache-Control": "private, no-store"}
    if download.size is not None:
        headers["Content-Length"] = str(download.size)
    if link.download_name:
        headers["Content-Disposition"] = content_disposition(link.download_name)
    return StreamingResponse(download.chunks, media_type=download.content_type, headers=headers)
