"""The kernel's own permissions and the role-template grants built from every declaration.

Owner and admin get ``any`` on every declared permission; staff and customer get what each
``Permission.grants`` names. The result is data (``TemplateGrant`` rows) that the enforcer
loads once into domain ``*``; a plugin whose declarations cannot be turned into grants stops
startup with a ``PluginError`` naming it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from marcus.declarations import ROLE_TEMPLATES, Permission, Scope
from marcus.plugins import PluginError

SCOPES: tuple[Scope, ...] = ("any", "own")
OWNER, ADMIN, STAFF, CUSTOMER = ROLE_TEMPLATES
ROLE_DESCRIPTIONS = {
    OWNER: "Runs the workspace; the only role that may make or remove owners.",
    ADMIN: "Manages the workspace: every permission on every row.",
    STAFF: "Works in the workspace with the permissions plugins grant staff.",
    CUSTOMER: "A client of the business: mostly their own rows.",
}

KERNEL_PERMISSIONS: tuple[Permission, ...] = (
    Permission(name="kernel.user:read", description="See the workspace's users", grants={STAFF: "any"}),
    Permission(name="kernel.user:write", description="Create, block, delete users and change their role"),
    Permission(name="kernel.role:manage", description="Manage custom roles and role assignments"),
    Permission(name="kernel.mail:read", description="See outgoing mail, including failed sends"),
    Permission(name="kernel.settings:manage", description="Change the workspace's settings"),
    Permission(
        name="kernel.notification:read",
        description="Read notifications (customers: their own)",
        grants={STAFF: "any", CUSTOMER: "own"},
    ),
    Permission(name="kernel.notification:send", description="Send notifications to users or to everyone"),
    Permission(
        name="kernel.activity:read",
        description="Read the activity feed (customers: their own)",
        grants={STAFF: "any", CUSTOMER: "own"},
    ),
    Permission(
        name="kernel.dashboard:read",
        description="See the dashboard (customers: their own figures)",
        grants={STAFF: "any", CUSTOMER: "own"},
    ),
)


@dataclass(frozen=True, kw_only=True)
class TemplateGrant:
    """One permission a role template holds, with its scope."""

    role: str
    permission: str
    scope: Scope


def declared_permissions(plugin_permissions: Mapping[str, Permission]) -> dict[str, Permission]:
    """The kernel's permissions plus every plugin's, checked; a bad declaration refuses startup."""
    declared = {p.name: p for p in KERNEL_PERMISSIONS}
    for name, permission in plugin_permissions.items():
        if name in declared:
            raise PluginError(
                permission.plugin,
                f"permission '{name}' is already declared by the kernel",
                "name it after the plugin instead",
            )
        _check_grants(permission)
        declared[name] = permission
    return declared


def _check_grants(permission: Permission) -> None:
    unknown = sorted(set(permission.grants) - set(ROLE_TEMPLATES))
    if unknown:
        raise PluginError(
            permission.plugin,
            f"permission '{permission.name}' grants unknown roles {unknown}",
            f"grant only the role templates {list(ROLE_TEMPLATES)}",
        )
    bad = {role: scope for role, scope in permission.grants.items() if scope not in SCOPES}
    if bad:
        raise PluginError(
            permission.plugin,
            f"permission '{permission.name}' grants scopes {bad}",
            "use 'any' or 'own' as the scope",
        )


def template_grants(permissions: Iterable[Permission]) -> list[TemplateGrant]:
    """Every (template, permission, scope) row: owner/admin ``any`` unless a grant says otherwise."""
    rows = []
    for permission in permissions:
        scopes: dict[str, Scope] = {OWNER: "any", ADMIN: "any", **permission.grants}
        rows += [TemplateGrant(role=r, permission=permission.name, scope=s) for r, s in scopes.items()]
    return rows


def covers(held: Scope | None, wanted: Scope) -> bool:
    """True when holding ``held`` includes ``wanted`` (``any`` includes ``own``)."""
    return held == "any" or (held == "own" and wanted == "own")
