"""``require(permission)``: the one FastAPI dependency that authorizes a request, and the
``Grant`` it returns so services can apply the scope as SQL."""

from __future__ import annotations

import uuid
from collections.abc import Container, Iterator
from dataclasses import dataclass
from typing import Any

from fastapi import Depends, FastAPI, Request
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from sqlalchemy import ColumnElement, SQLColumnExpression, true

from marcus.auth.deps import CurrentPrincipal
from marcus.auth.principal import Principal
from marcus.declarations import PERMISSION_NAME, Scope
from marcus.deps import CurrentTenant, SessionDep, kernel_of
from marcus.errors import Forbidden, Unauthorized
from marcus.plugins import PluginError

PERMISSION_ATTR = "__marcus_permission__"


@dataclass(frozen=True, kw_only=True)
class Grant:
    """What ``require`` established: the caller, the permission checked and its scope."""

    principal: Principal
    permission: str
    scope: Scope

    def owner_filter(
        self, column: SQLColumnExpression[uuid.UUID | None], *, caller: ColumnElement[Any] | None = None
    ) -> ColumnElement[bool]:
        """SQL applying the scope: always true for ``any``, ``column = <caller>`` for ``own``.

        ``select(Appointment).where(grant.owner_filter(Appointment.customer_id))``; a statement
        compiled once per scope passes ``caller=bindparam("caller")`` and the caller's id as
        that parameter's value.
        """
        if self.scope == "any":
            return true()
        return column == (self.principal.user_id if caller is None else caller)

    def covers(self, owner_id: uuid.UUID | None) -> bool:
        """The same rule in Python, for a row already loaded: may the caller act on it?"""
        return self.scope == "any" or owner_id == self.principal.user_id


def require(permission: str) -> Any:
    """A dependency checking ``permission`` in the caller's workspace; 403 naming it when denied.

    ``grant: Annotated[Grant, require("kernel.user:read")]`` or ``dependencies=[require(...)]``.
    Roles come from the database only: nothing the client sends (token claims included) counts.
    """
    if not PERMISSION_NAME.match(permission):
        raise ValueError(f"'{permission}' is not a permission name (<plugin>.<resource>:<action>)")

    async def check(request: Request, principal: CurrentPrincipal, tenant: CurrentTenant, session: SessionDep) -> Grant:
        if principal.org_id != tenant.id:
            raise Unauthorized("This token belongs to another workspace.", code="wrong_tenant")
        scope = await kernel_of(request).rbac.check(principal.org_id, principal.user_id, permission, session=session)
        if scope is None:
            raise Forbidden(
                f"You lack the permission '{permission}'.",
                code="permission_denied",
                errors=[{"field": "permission", "message": f"'{permission}' is required", "permission": permission}],
            )
        return Grant(principal=principal, permission=permission, scope=scope)

    setattr(check, PERMISSION_ATTR, permission)
    check.__name__ = f"require_{permission.replace('.', '_').replace(':', '_')}"
    return Depends(check)


def _required(dependant: Dependant) -> Iterator[str]:
    for sub in dependant.dependencies:
        if (name := getattr(sub.call, PERMISSION_ATTR, None)) is not None:
            yield name
        yield from _required(sub)


def _in_depends(dependencies: Any) -> Iterator[str]:
    for depends in dependencies or ():
        if (name := getattr(getattr(depends, "dependency", None), PERMISSION_ATTR, None)) is not None:
            yield name


def _routes_requiring(node: Any) -> Iterator[tuple[str, str]]:
    """(route, permission) for every ``require`` in the routing tree, however routers were included.

    Duck-typed on purpose: FastAPI versions differ in how included routers are kept.
    """
    if isinstance(node, APIRoute):
        route = f"{' '.join(sorted(node.methods or ()))} {node.path}"
        yield from ((route, name) for name in [*_required(node.dependant), *_in_depends(node.dependencies)])
        return
    context = getattr(node, "include_context", None)
    yield from (("an included router", name) for name in _in_depends(getattr(context, "dependencies", None)))
    router = getattr(node, "original_router", None) or node
    yield from (("a router", name) for name in _in_depends(getattr(router, "dependencies", None)))
    for child in getattr(router, "routes", None) or ():
        yield from _routes_requiring(child)


def verify_routes(api: FastAPI, declared: Container[str]) -> None:
    """Refuse to start when a route requires a permission nobody declared (naming its plugin)."""
    for route, name in _routes_requiring(api.router):
        if name not in declared:
            raise PluginError(
                name.split(".", 1)[0],
                f"{route} requires the undeclared permission '{name}'",
                "declare it with register_permissions (or fix the name in require(...))",
            )
