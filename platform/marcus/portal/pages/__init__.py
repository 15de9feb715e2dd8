"""The kernel's portal pages, one module per area: ``home``, ``account`` (sign up, verify,
sign in in one or two steps, sign out), ``password`` (forgotten password), ``profile``,
``notifications``, ``dashboard``, ``workspace`` (settings), ``users`` (users and roles) and
``platform`` ("create your workspace", outside any workspace). ``KERNEL_MENU`` is the
kernel's part of the navigation: Home first, plugins' entries next, then these."""

from __future__ import annotations

from fastapi import APIRouter

from marcus.declarations import MenuEntry
from marcus.portal.pages import account, dashboard, home, notifications, password, profile, users, workspace
from marcus.portal.pages.platform import router as platform_router

KERNEL_MENU: tuple[MenuEntry, ...] = (
    MenuEntry(label="Home", path="/"),
    MenuEntry(label="Dashboard", path="/dashboard", permission="kernel.dashboard:read"),
    MenuEntry(label="Users", path="/users", permission="kernel.user:read"),
    MenuEntry(label="Settings", path="/settings", permission="kernel.settings:manage"),
)


def kernel_routers() -> list[APIRouter]:
    """The kernel's workspace page routers (mounted behind the page context)."""
    modules = (home, account, password, profile, notifications, dashboard, workspace, users)
    return [m.router for m in modules]


__all__ = ["KERNEL_MENU", "kernel_routers", "platform_router"]
