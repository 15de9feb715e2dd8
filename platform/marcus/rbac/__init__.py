"""Authorization: pycasbin RBAC with domains (ARCHITECTURE §5), domain = organization id.

Parts: ``permissions`` (the kernel's own permissions and the role-template grants built from
every declared ``Permission``), ``models`` (role assignments, custom roles, policy versions),
``version`` (the per-tenant policy version every change bumps), ``enforcer`` (the casbin model,
the lazily loaded per-tenant policy and its freshness across replicas), ``notify`` (Redis
pub/sub between replicas), ``service`` (assignments and custom roles), ``deps`` (``require``
and ``Grant``), ``schemas`` and ``router`` (``/api/v1/roles``).

``require(permission)`` is the one FastAPI dependency that authorizes a request and returns a
``Grant``; ``assign_role``, ``revoke_role`` and ``roles_of`` manage a user's roles in a tenant
session (the caller commits). Roles come from the database only, never from a token.
"""

from marcus.rbac.deps import Grant, require
from marcus.rbac.enforcer import PolicyEnforcer
from marcus.rbac.permissions import KERNEL_PERMISSIONS
from marcus.rbac.service import assign_role, is_last_owner, revoke_role, roles_of

__all__ = [
    "KERNEL_PERMISSIONS",
    "Grant",
    "PolicyEnforcer",
    "assign_role",
    "is_last_owner",
    "require",
    "revoke_role",
    "roles_of",
]
