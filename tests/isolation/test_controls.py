"""Controls of the write matrix: every write the matrix attacks is sent once by the owner of
workspace C (seeded like A) with C's own ids and the same generated body, and must reach its
row (no 401/403/404/405/422). So an attacker's 404 in ``test_write`` means "not yours", not
"this request could never have worked". Writes that remove things run last, children first."""

from __future__ import annotations

from typing import Any

# Statuses that would mean the request never reached the row (wrong id, no route); a 422 (or
# compat's 400) only when the body itself was invalid (a domain refusal such as "only a failed message can be
# retried" comes after the row was found).
UNREACHED = {401, 403, 404, 405}


def unreached(response: Any) -> bool:
    if response.status_code in (400, 422):  # 400: compat's (the seed's) validation status
        return response.json().get("code") in ("validation_error", "invalid_input", "bad_request")
    return response.status_code in UNREACHED


# Writes that end a row's useful life (an archived service cannot be booked, a cancelled
# appointment not rescheduled): they run after the other updates, so those reach a live row.
FINAL = ("/archive", "/cancel", "/void", "/no-show", "/complete", "/block", "/issue")


def order(keys: list[str]) -> list[str]:
    """Updates first, then final transitions, then deletions deepest path first (an attachment
    before its appointment)."""
    final = [k for k in keys if not k.startswith("DELETE ") and k.endswith(FINAL)]
    updates = [k for k in keys if not k.startswith("DELETE ") and k not in final]
    deletions = sorted((k for k in keys if k.startswith("DELETE ")), key=lambda k: (-k.count("/"), k))
    return updates + final + deletions


async def test_write_controls(world: Any, matrix: Any, routes: Any) -> None:
    schema, c = matrix.openapi(), world.c
    keys = [c_.key for c_ in matrix.cases(schema) if c_.kind == "write"]
    problems = []
    for key in order(list(dict.fromkeys(keys))):
        route = routes.ROUTES[key]
        if set(route.roles) <= set(routes.SESSION_ROLES):
            continue  # ends the owner's own session or account: covered by tests/test_auth.py, test_users.py
        req = matrix.build(schema, key, c.objects, control=True)
        response = await world.h.client.request(req.method, req.url, headers=c.owner.headers, **req.kwargs())
        if response.status_code >= 500 or unreached(response):
            problems.append(f"{key}: {response.status_code} {response.text[:200]}")
    assert not problems, "write controls that did not reach their row:\n" + "\n".join(problems)
