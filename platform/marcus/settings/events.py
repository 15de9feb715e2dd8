"""Kernel events of the settings: recorded in the activity feed, nobody notified. A replaced
or removed logo file is deleted after the change commits (idempotent, through the outbox)."""

from __future__ import annotations

from marcus.declarations import EventHandler
from marcus.events.bus import EventBus
from marcus.events.model import Event, EventContext, Notice
from marcus.settings.logos import logo_files


class SettingsUpdated(Event):
    """An admin changed the workspace's settings (``changes`` names the fields)."""

    name = "kernel.settings_updated"
    notice = Notice(
        type="Settings", title="Workspace settings updated", message="Settings changed: {changes}.", notify=False
    )
    changes: str
    old_logo_key: str | None = None


class PluginsUpdated(Event):
    """An admin enabled or disabled plugins (modules) of the workspace."""

    name = "kernel.plugins_updated"
    notice = Notice(
        type="Settings", title="Modules changed", message="Enabled: {enabled}. Disabled: {disabled}.", notify=False
    )
    enabled: str
    disabled: str


SETTINGS_EVENTS: tuple[type[Event], ...] = (SettingsUpdated, PluginsUpdated)


async def remove_old_logo(event: SettingsUpdated, ctx: EventContext) -> None:
    """Delete the logo file the workspace no longer uses."""
    await logo_files(ctx.kernel.storage, ctx.organization_id).discard(event.old_logo_key)


def wire_settings_events(bus: EventBus) -> None:
    """Register the settings events and their subscriber (before the kernel's notice handlers are made)."""
    bus.add_types(SETTINGS_EVENTS)
    bus.subscribe(EventHandler(event=SettingsUpdated.name, handler=remove_old_logo))
