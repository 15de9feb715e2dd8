"""The portal's Jinja2 environment and navigation.

Templates come from the kernel's folder first (``portal/base.html``, ``portal/forms.html``,
the kernel's pages), then from each plugin's ``PageSet.templates`` folder under the plugin's
name: the services plugin's ``catalogue.html`` is ``services/catalogue.html``. The kernel's
folder comes first, so no plugin can replace the layout. Autoescaping is on for every
``.html`` template and undefined names fail loudly.

Filters: ``localtime`` (an aware datetime in the workspace's time zone), ``money`` (a decimal
with its ISO 4217 currency), ``querystring`` (a list's filter values as the query string its
links keep). Macros for pages: ``portal/forms.html`` (fields with their errors) and
``portal/lists.html`` (a list's filter form, table and pager). Global: ``static(path)``
(``portal/...``: the kernel's CSS and JS; ``<plugin>/...``: the files in a plugin's
``<templates>/static/`` folder).
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, PrefixLoader, StrictUndefined, pass_context
from jinja2.runtime import Context
from starlette.requests import Request

from marcus.declarations import MenuEntry
from marcus.portal.visitor import RefreshGrace

if TYPE_CHECKING:
    from marcus.portal.shell import PageState

HERE = Path(__file__).parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"


@dataclass(frozen=True, kw_only=True)
class MenuItem:
    """A navigation link as the layout draws it."""

    label: str
    path: str
    current: bool


class Portal:
    """Per-app portal state: the template environment, the navigation, the refresh grace cache."""

    def __init__(self, plugin_templates: dict[str, Path], menu: list[tuple[str | None, MenuEntry]]) -> None:
        loaders = {name: FileSystemLoader(str(path)) for name, path in plugin_templates.items()}
        self.env = Environment(
            loader=ChoiceLoader([FileSystemLoader(str(TEMPLATES)), PrefixLoader(loaders)]),
            autoescape=True,
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.env.filters["localtime"] = localtime
        self.env.filters["money"] = money
        self.env.filters["querystring"] = querystring
        self.env.globals["static"] = static
        self.menu = menu
        self.grace = RefreshGrace()

    async def menu_for(self, request: Request, state: PageState) -> list[MenuItem]:
        """The entries this visitor sees: enabled plugins only, permissions held."""
        if state.tenant is None:
            return []
        path, items = request.url.path, []
        for plugin, entry in self.menu:
            if plugin is not None and not state.tenant.has_plugin(plugin):
                continue
            if not await state.visitor.can(entry.permission):
                continue
            current = path == entry.path or (entry.path != "/" and path.startswith(entry.path + "/"))
            items.append(MenuItem(label=entry.label, path=entry.path, current=current))
        return _one_current(items)


def _one_current(items: list[MenuItem]) -> list[MenuItem]:
    """Only the most specific entry is the current page (``/appointments/book`` over ``/appointments``)."""
    matches = [item for item in items if item.current]
    if len(matches) < 2:
        return items
    best = max(matches, key=lambda item: len(item.path))
    return [item if item is best else MenuItem(label=item.label, path=item.path, current=False) for item in items]


def static(path: str) -> str:
    """URL of a static file: ``static("portal/portal.css")`` for the kernel's, ``static("<plugin>/x.js")``
    for a file in a plugin's ``<templates>/static/`` folder."""
    return f"/static/{path}"


@pass_context
def localtime(context: Context, value: datetime | None, fmt: str = "%d %b %Y, %H:%M") -> str:
    """``value`` in the workspace's time zone (UTC on platform pages)."""
    if value is None:
        return ""
    workspace = context.get("workspace")
    zone = zoneinfo.ZoneInfo(workspace.time_zone if workspace is not None else "UTC")
    return value.astimezone(zone).strftime(fmt)


def money(value: Any, currency: str = "") -> str:
    """``Decimal("1200.5"), "EUR"`` -> ``"1,200.50 EUR"`` (never through a float)."""
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return str(value)
    return f"{amount:,.2f} {currency}".strip()


def querystring(values: Mapping[str, Any]) -> str:
    """``{"status": "Open", "search": ""}`` -> ``"status=Open"``: the non-empty values, encoded."""
    return urlencode({name: value for name, value in values.items() if value}, quote_via=quote)
