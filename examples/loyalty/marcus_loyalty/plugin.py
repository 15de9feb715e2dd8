"""Entry point of the loyalty plugin."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import socketio
from fastapi import APIRouter

import marcus
from marcus_loyalty.handlers import NAMESPACE, LoyaltySettings, dashboard_points, earn
from marcus_loyalty.models import Account, Entry
from marcus_loyalty.router import router

manifest = marcus.PluginManifest(
    name="loyalty",
    version="1.0.0",
    description="Customers earn points when appointments are completed",
    depends_on=("appointments",),
    settings_model=LoyaltySettings,
    requires_kernel=">=1.0,<2",
)


@marcus.hookimpl
def register_routers() -> APIRouter:
    return router


@marcus.hookimpl
def register_models() -> list[type[marcus.Base]]:
    return [Account, Entry]


@marcus.hookimpl
def register_migrations() -> marcus.MigrationSource:
    return marcus.MigrationSource(path=Path(__file__).parent / "migrations" / "versions", branch="loyalty")


@marcus.hookimpl
def register_permissions() -> list[marcus.Permission]:
    return [
        marcus.Permission(
            name="loyalty.balance:read", description="See loyalty balances", grants={"customer": "own", "staff": "any"}
        )
    ]


@marcus.hookimpl
def register_event_handlers() -> list[marcus.EventHandler]:
    return [marcus.EventHandler(event="appointments.completed", handler=earn)]


@marcus.hookimpl
def register_dashboard_widgets() -> list[marcus.DashboardWidget]:
    return [marcus.DashboardWidget(name="loyalty.points", title="Loyalty points", loader=dashboard_points)]


@marcus.hookimpl
def register_socketio_namespaces() -> list[Any]:
    return [socketio.AsyncNamespace(NAMESPACE)]
