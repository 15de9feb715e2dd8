"""Routing by path prefix first: each included router declines at once a path it cannot serve.

FastAPI tries an app's included routers in order, and each one tries every route it holds, so
a request for the last plugin's API paid a regular-expression match for every route of the
kernel and of the plugins before it (about 80 for ``/api/v1/appointments``), and the chosen
router matched its routes a second time to pick one. ``gate_by_prefix`` gives every router
included in the app the literal prefix that all its paths share (``/api/v1/appointments``,
``/api/v1/auth/``, ``/login`` ...): a request whose path does not start with it is declined by
one ``str.startswith``, the router's routes untouched. Which route answers does not change:
a declined router could not have matched (docs/decisions.md §30).

The gated entry is a subclass of FastAPI's included-router entry, so everything that walks
the routing tree (OpenAPI, ``url_path_for``, ``verify_routes``) sees the same routes as before.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from fastapi import FastAPI
from fastapi.routing import _IncludedRouter
from starlette._utils import get_route_path
from starlette.routing import Match
from starlette.types import Scope


@dataclass
class PrefixGatedRouter(_IncludedRouter):
    """An included router that declines, without trying its routes, paths outside ``prefix``."""

    prefix: str = ""

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if not get_route_path(scope).startswith(self.prefix):
            return Match.NONE, {}
        return super().matches(scope)


def literal_prefix(entry: _IncludedRouter) -> str:
    """The longest literal text every path under ``entry`` starts with (up to the first ``{``)."""
    contexts = [*entry.effective_route_contexts(), *entry.effective_low_priority_routes()]
    heads = [str(getattr(context, "path_format", "")).split("{", 1)[0] for context in contexts]
    return os.path.commonprefix(heads) if heads else ""  # noqa: RUF071 - text, not path components


def gate_by_prefix(api: FastAPI) -> None:
    """Put every router included directly in ``api`` behind its literal path prefix."""
    routes = api.router.routes
    for i, entry in enumerate(routes):
        if type(entry) is _IncludedRouter and (prefix := literal_prefix(entry)):
            routes[i] = PrefixGatedRouter(
                original_router=entry.original_router, include_context=entry.include_context, prefix=prefix
            )
