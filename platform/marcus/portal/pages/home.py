"""The workspace's home page: its name, logo and slogan, and where to go from there."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from marcus.portal.shell import render

router = APIRouter()


@router.get("/", response_class=HTMLResponse)
async def home(request: Request) -> HTMLResponse:
    """The workspace's front page."""
    return await render(request, "portal/home.html")
