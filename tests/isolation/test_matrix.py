"""The tenant-isolation matrix: every classified operation of the OpenAPI schema, sent by each
role with workspace A's real ids (see ``routes.py`` for the roles and audiences).

Reads: the status each role must get (the owner's and Alice's successes are the controls that
prove the request reached A's rows), and no response carries what its caller may not see —
B's requests none of A's ids or markers, a customer none of the other customer's private rows
nor staff-only rows, an anonymous caller neither. Writes: every attacker is refused (401, 403
or 404) and A's rows are byte-for-byte unchanged afterwards.
"""

from __future__ import annotations

from typing import Any

import pytest


def headers_for(role: str, world: Any) -> dict[str, str]:
    a, b = world.a, world.b
    return {
        "anonymous": a.tenant,
        "alice": a.alice.headers,
        "bob": a.bob.headers,
        "owner": a.owner.headers,
        "b_admin": b.admin.headers,
        # B's token sent to A's own host (its custom domain), not through the X-Tenant header.
        "b_token": {"Authorization": f"Bearer {b.admin.access_token}", "Host": a.objects["domain"]},
    }[role]


async def send(case: Any, world: Any, matrix: Any) -> tuple[Any, Any]:
    req = matrix.build(matrix.openapi(), case.key, world.a.objects, filtered=case.filtered)
    response = await world.h.client.request(req.method, req.url, headers=headers_for(case.role, world), **req.kwargs())
    return req, response


def shown(statuses: set[int]) -> str:
    """``[2xx, 403]`` rather than a hundred numbers."""
    names = {f"{s // 100}xx" if s // 100 == 2 else str(s) for s in statuses}
    return f"[{', '.join(sorted(names))}]"


def check(case: Any, req: Any, response: Any, world: Any, matrix: Any) -> None:
    wanted = matrix.expected_status(case, req)
    assert wanted is None or response.status_code in wanted, (
        f"{case.id}: {response.status_code} (expected {shown(wanted)}): {response.text[:300]}"
    )
    found = matrix.leaks(response, matrix.forbidden(case, world.a, response.status_code), req.sent)
    named = [f"{value} ({world.a.table_of.get(value, 'marker')})" for value in found]
    assert not found, f"{case.id} leaked {named}: {response.text[:500]}"
    assert response.status_code < 500, f"{case.id}: {response.status_code} {response.text[:300]}"


@pytest.mark.matrix_kind("read")
async def test_read(case: Any, world: Any, matrix: Any) -> None:
    req, response = await send(case, world, matrix)
    check(case, req, response, world, matrix)


@pytest.mark.matrix_kind("write")
async def test_write(case: Any, world: Any, matrix: Any, seed: Any) -> None:
    before = await seed.digest(world.database, world.a.org.id, world.tables)
    req, response = await send(case, world, matrix)
    after = await seed.digest(world.database, world.a.org.id, world.tables)
    changed = sorted(t for t in before if before[t] != after.get(t))
    assert not changed, f"{case.id} ({response.status_code}) changed A's rows in {changed}"
    check(case, req, response, world, matrix)
