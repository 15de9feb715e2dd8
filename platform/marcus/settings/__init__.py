"""Workspace settings (kernel): name, slogan, language, time zone, currency, logo, and which
plugins the workspace enabled.

Parts: ``workspace`` (``workspace_settings(tenant)``: the values every part of Marcus reads,
with defaults), ``currencies`` (the ISO 4217 codes, kept here: no network), ``schemas``
(validation of the editable fields), ``events`` (the kernel events recorded in the activity
feed), ``service`` (reading and changing them, plugin toggles through
``tenancy.service.set_plugins``) and ``router`` (``/api/v1/settings``).
"""

from marcus.settings.workspace import WorkspaceSettings, workspace_settings

__all__ = ["WorkspaceSettings", "workspace_settings"]
