"""Meta-tests: the 67 HTTP routes of the seed (seed-api.md §2) are exactly those documented in
docs/compat.md, every one is served by the compat plugin, and every one is called by a test here."""

from __future__ import annotations

import re
from pathlib import Path

import marcus_compat.plugin as compat_plugin
from fastapi.routing import APIRoute

HERE = Path(__file__).resolve().parent
DOC = HERE.parents[2] / "docs" / "compat.md"

SEED_ROUTES = [
    ("GET", "/"),
    ("GET", "/user"),
    ("GET", "/user/me"),
    ("POST", "/user/temp-login"),
    ("GET", "/user/dashboard-statics"),
    ("POST", "/user"),
    ("POST", "/user/create-user-without-otp"),
    ("POST", "/user/resend-register-otp"),
    ("POST", "/user/verify-register-otp"),
    ("POST", "/user/login"),
    ("POST", "/user/resend-login-otp"),
    ("POST", "/user/verify-login-otp"),
    ("POST", "/user/change-password"),
    ("POST", "/user/forgotten-password"),
    ("POST", "/user/verify-forgotten-password-otp"),
    ("PATCH", "/user/update-profile"),
    ("PATCH", "/user/block-user/:id"),
    ("PATCH", "/user/unblock-user/:id"),
    ("PATCH", "/user/change-role/:id"),
    ("DELETE", "/user/delete-user/:id"),
    ("DELETE", "/user/delete-myself-account"),
    ("POST", "/user/support"),
    ("GET", "/schedule/slots"),
    ("POST", "/schedule/generate"),
    ("PATCH", "/schedule/slots/:id"),
    ("DELETE", "/schedule/slots"),
    ("POST", "/appointments"),
    ("GET", "/appointments/export/pdf"),
    ("GET", "/appointments"),
    ("GET", "/appointments/all"),
    ("GET", "/appointments/:id"),
    ("PATCH", "/appointments/:id"),
    ("GET", "/appointments/:id/attachments"),
    ("POST", "/appointments/:id/attachments"),
    ("DELETE", "/appointments/:id/attachments"),
    ("GET", "/activities"),
    ("GET", "/notifications"),
    ("PATCH", "/notifications/:id/read"),
    ("PATCH", "/notifications/read-all"),
    ("POST", "/blog"),
    ("GET", "/blog/myself-blogs"),
    ("GET", "/blog"),
    ("GET", "/blog/:slug"),
    ("PATCH", "/blog/update-blog/:id"),
    ("DELETE", "/blog/:slug"),
    ("POST", "/documents"),
    ("GET", "/documents"),
    ("PATCH", "/documents/:id"),
    ("DELETE", "/documents/:id"),
    ("POST", "/invoices"),
    ("GET", "/invoices"),
    ("GET", "/invoices/:id"),
    ("PATCH", "/invoices/:id"),
    ("DELETE", "/invoices/:id"),
    ("GET", "/invoices/:id/pdf"),
    ("POST", "/admin/notifications"),
    ("GET", "/dashboard"),
    ("GET", "/dashboard/stats"),
    ("GET", "/service"),
    ("GET", "/service/:slug"),
    ("POST", "/service"),
    ("PATCH", "/service/update-service/:id"),
    ("DELETE", "/service/:slug"),
    ("PATCH", "/admin-general/update"),
    ("PATCH", "/admin-general/toggle"),
    ("GET", "/admin-general"),
    ("POST", "/comment"),
]
PARAM = re.compile(r"\{[^}]*\}|:[a-zA-Z]+")


def shape(path: str) -> str:
    """``/user/block-user/{user_id}`` and ``/user/block-user/:id`` -> ``/user/block-user/*``."""
    return PARAM.sub("*", path)


def test_the_seed_has_67_distinct_routes():
    assert len(SEED_ROUTES) == 67 == len(set(SEED_ROUTES))


def test_docs_list_exactly_the_seed_routes():
    rows = re.findall(r"^\| (\d+) \| (GET|POST|PATCH|PUT|DELETE) \| `([^`]+)` \|", DOC.read_text(), re.MULTILINE)
    assert [int(n) for n, _, _ in rows] == list(range(1, 68)), "number the table rows 1..67 in seed order"
    assert [(m, p) for _, m, p in rows] == SEED_ROUTES


def test_every_seed_route_is_served():
    served = set()
    for router in compat_plugin.register_root_routers():
        for route in router.routes:
            assert isinstance(route, APIRoute)
            served |= {(method, shape(route.path)) for method in route.methods}
    missing = [(m, p) for m, p in SEED_ROUTES if (m, shape(p)) not in served]
    assert missing == []


CALL = re.compile(
    r"""(?:client|http)\.(get|post|patch|delete|put)\(\s*(?:server\.url\s*\+\s*)?f?(?:"([^"?]*)|'([^'?]*))""",
    re.IGNORECASE,
)
FIELD = re.compile(r"\{[^}]*\}")
BY_NAME = re.compile(r"(?:client|http)\.(get|post|patch|delete|put)\(\s*([a-z_][a-z0-9_]*)\s*[,)]", re.IGNORECASE)
ASSIGNED = re.compile(r"""\b([a-z_][a-z0-9_]*)\s*=\s*f?(?:"(/[^"?]*)|'(/[^'?]*))""", re.IGNORECASE)


def called_paths() -> set[tuple[str, str]]:
    calls = set()
    for path in HERE.glob("*.py"):
        text = path.read_text()
        for method, double, single in CALL.findall(text):
            calls.add((method.upper(), FIELD.sub("x", double or single)))
        assigned: dict[str, set[str]] = {}
        for name, double, single in ASSIGNED.findall(text):  # path = f"/documents/{id}" ... client.patch(path, ...)
            assigned.setdefault(name, set()).add(FIELD.sub("x", double or single))
        for method, name in BY_NAME.findall(text):
            calls |= {(method.upper(), url) for url in assigned.get(name, ())}
    return calls


def test_every_seed_route_is_called_by_a_test():
    calls = called_paths()
    missing = []
    for method, path in SEED_ROUTES:
        pattern = re.compile("^" + PARAM.sub(r"(?:[^/]+)", re.escape(path).replace(r"\:", ":")) + "$")
        if not any(m == method and pattern.match(url) for m, url in calls):
            missing.append((method, path))
    assert missing == []
