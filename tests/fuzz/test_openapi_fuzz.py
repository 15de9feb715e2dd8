"""Schemathesis over the whole OpenAPI schema, as each role, in-process against PostgreSQL.

One workspace with every installed plugin enabled is seeded through the API (a category, a
service, slots, a booking, a post with a comment, a document, an invoice). For every operation
of ``/openapi.json`` Hypothesis draws a few valid requests (derandomized: the same requests on
every run), a few more with the seeded ids in the path, and a few invalid ones; each is sent as
anonymous, customer, staff and admin. Every response must be no 5xx, carry a status code and a
content type the operation declares, and match the declared schema.

The seed's paths (the compat plugin's root routes, outside ``/openapi.json``) are fuzzed the
same way from their own routes, with half the budget, and may only never answer 5xx.

Budget: ``MARCUS_FUZZ_EXAMPLES`` valid and half as many invalid examples per operation (default
4: about 4,000 requests, 1.5 minutes on a 2-core machine; 12 ran clean in 8 minutes).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import requests
import schemathesis
from fastapi.openapi.utils import get_openapi
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import Case, GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from marcus.testing import TestDatabase, TestUser, create_user
from marcus.testing.harness import Harness, create_tenant, running_app

ROLES = ("anonymous", "customer", "staff", "admin")
EXAMPLES = int(os.environ.get("MARCUS_FUZZ_EXAMPLES", "4"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"
# Requests that would end the caller's own session or account: drawn like every other
# operation but sent with a throwaway user (fresh tokens), never with the seeded one.
SELF_ENDING = {
    ("DELETE", "/api/v1/me"),
    ("POST", "/api/v1/auth/logout"),
    ("POST", "/api/v1/auth/logout-all"),
    ("POST", "/api/v1/auth/password/change"),
    ("PATCH", "/api/v1/me"),
    ("DELETE", "/user/delete-myself-account"),
    ("POST", "/user/change-password"),
    ("PATCH", "/user/update-profile"),
}


@dataclass
class World:
    """The seeded workspace: its people (one per role) and the ids of its objects by path parameter."""

    slug: str
    users: dict[str, TestUser]
    ids: dict[str, str] = field(default_factory=dict)
    slugs: dict[str, str] = field(default_factory=dict)

    def headers(self, role: str) -> dict[str, str]:
        if role == "anonymous":
            return {"X-Tenant": self.slug}
        return self.users[role].headers


@pytest.fixture(scope="module")
async def fuzz_world(marcus_database: TestDatabase) -> World:
    """A workspace with every installed plugin enabled, its four people and a few objects."""
    from marcus.plugins import load_plugins

    plugins = load_plugins(marcus_database.plugins).names
    org = await create_tenant(marcus_database, plugins=plugins)
    users = {role: await create_user(marcus_database, org, role=role) for role in ROLES[1:]}
    world = World(slug=org.slug, users=users)
    async with running_app(marcus_database, worker=False, rate_limit_enabled=False) as h:
        await _seed(h.client, world, set(plugins))
    return world


async def _seed(client: httpx.AsyncClient, world: World, plugins: set[str]) -> None:
    """Objects of each plugin, made through the API as their owners would."""
    admin, customer = world.headers("admin"), world.headers("customer")

    async def post(path: str, expect: int = 201, **kwargs: Any) -> dict[str, Any]:
        response = await client.post(f"/api/v1{path}", headers=kwargs.pop("headers", admin), **kwargs)
        assert response.status_code == expect, f"seeding {path}: {response.text}"
        return response.json()  # type: ignore[no-any-return]

    world.ids["name"] = "customer"
    if "services" in plugins:
        category = await post("/services/categories", json={"name": "Advice"})
        service = await post(
            "/services",
            json={"name": "Consulting", "price": "120.00", "duration_minutes": 60, "category_id": category["id"]},
        )
        world.ids |= {"category_id": category["id"], "service_id": service["id"]}
        world.slugs["/api/v1/services/{slug}"] = world.slugs["/service/{slug}"] = service["slug"]
    if "appointments" in plugins and "services" in plugins:
        day = (datetime.now(UTC) + timedelta(days=3)).date().isoformat()
        slot_day = {"service_id": world.ids["service_id"], "date": day, "start_time": "09:00", "end_time": "11:00"}
        await post("/appointments/slots/generate-day", json=slot_day | {"duration_minutes": 30, "capacity": 1})
        slots = (
            await client.get(
                f"/api/v1/appointments/slots?service_id={world.ids['service_id']}&date={day}", headers=customer
            )
        ).json()
        booked = await post(
            "/appointments", json={"slot_id": slots[0]["id"], "meeting_type": "Virtual"}, headers=customer
        )
        world.ids |= {"slot_id": slots[1]["id"], "appointment_id": booked["id"]}
    if "blog" in plugins:
        post_ = await post("/blog/posts", json={"title": "Hello", "content": "Body", "status": "published"})
        comment = await post(f"/blog/posts/{post_['id']}/comments", json={"content": "Nice"}, headers=customer)
        world.ids |= {"post_id": post_["id"], "comment_id": comment["id"]}
        world.slugs["/api/v1/blog/posts/by-slug/{slug}"] = world.slugs["/blog/{slug}"] = post_["slug"]
    if "documents" in plugins:
        files = [("files", ("a.pdf", PDF, "application/pdf"))]
        document = await post("/documents", data={"type": "Compliance"}, files=files, headers=customer)
        world.ids |= {"document_id": document["id"], "file_id": document["files"][0]["id"]}
    if "invoices" in plugins:
        line = {"description": "Consulting", "quantity": "1", "unit_price": "100.00", "tax_rate": "19"}
        invoice = await post("/invoices", json={"lines": [line], "customer_id": str(world.users["customer"].id)})
        world.ids["invoice_id"] = invoice["id"]


def _draw(operation: Any, mode: GenerationMode, count: int, **fixed: Any) -> list[Case]:
    """``count`` requests for ``operation`` (the same ones on every run)."""
    drawn: list[Case] = []

    @settings(
        max_examples=count,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(operation.as_strategy(generation_mode=mode, **fixed))
    def collect(case: Case) -> None:
        drawn.append(case)

    try:
        collect()
    except Unsatisfiable:  # nothing to make invalid: an operation without parameters or body
        assert mode is GenerationMode.NEGATIVE, f"{operation.label}: no valid request can be drawn"
    return drawn


def _cases(operation: Any, world: World, examples: int) -> list[tuple[str, Case]]:
    """Valid requests, valid ones aimed at the seeded objects, and invalid ones."""
    cases = [("positive", c) for c in _draw(operation, GenerationMode.POSITIVE, examples)]
    names = {p.name for p in operation.path_parameters}
    known = {n: world.ids[n] for n in names if n in world.ids}
    if "slug" in names and operation.path in world.slugs:
        known["slug"] = world.slugs[operation.path]
    if known:
        fixed = _draw(operation, GenerationMode.POSITIVE, examples, path_parameters=known)
        cases += [("seeded", c) for c in fixed]
    cases += [("negative", c) for c in _draw(operation, GenerationMode.NEGATIVE, max(1, examples // 2))]
    return cases


async def _send(client: httpx.AsyncClient, case: Case, headers: dict[str, str]) -> httpx.Response:
    """Send ``case`` in-process: requests prepares the wire form schemathesis meant, httpx carries it."""
    kwargs = case.as_transport_kwargs(base_url="http://localhost")
    # The role's token wins over a generated ``Authorization`` (the schema declares bearer auth);
    # anonymous requests keep the generated one, so garbage tokens are fuzzed too.
    prepared = requests.Request(
        method=kwargs["method"],
        url=kwargs["url"],
        headers={**(kwargs.get("headers") or {}), **headers},
        params=kwargs.get("params"),
        cookies=kwargs.get("cookies"),
        json=kwargs.get("json"),
        data=kwargs.get("data"),
        files=kwargs.get("files"),
    ).prepare()
    body = prepared.body.encode() if isinstance(prepared.body, str) else prepared.body
    return await client.request(
        prepared.method or "GET", prepared.url or "", headers=dict(prepared.headers), content=body
    )


def _failure(role: str, kind: str, case: Case, response: httpx.Response, error: BaseException) -> str:
    summary = str(error).strip().splitlines()
    first = next((line for line in summary if line.strip()), type(error).__name__)
    return (
        f"{case.operation.label} as {role} ({kind}): {response.status_code} {first}\n"
        f"    path={case.path_parameters} query={case.query} body={str(case.body)[:200]}\n"
        f"    response={response.text[:300]}"
    )


async def _throwaway(marcus_database: TestDatabase, world: World, role: str) -> dict[str, str]:
    if role == "anonymous":
        return world.headers(role)
    from marcus.tenancy.models import Organization

    async with marcus_database.db.platform_session() as session:
        org = await session.get(Organization, world.users[role].org_id)
    assert org is not None
    return (await create_user(marcus_database, org, role=role)).headers


async def _restore_plugins(client: httpx.AsyncClient, world: World) -> None:
    """Fuzzed settings may switch plugins off; switch them back so later operations reach them."""
    listed = await client.get("/api/v1/settings/plugins", headers=world.headers("admin"))
    names = [p["name"] for p in listed.json()] if listed.status_code == 200 else []
    if names:
        body = {"plugins": dict.fromkeys(names, True)}
        restored = await client.patch("/api/v1/settings", json=body, headers=world.headers("admin"))
        assert restored.status_code == 200, restored.text


async def _fuzz(
    h: Harness, marcus_database: TestDatabase, world: World, schema: Any, checks: list[Any], examples: int = EXAMPLES
) -> tuple[int, list[str]]:
    """Send every drawn request of every operation of ``schema`` as every role; (sent, failures)."""
    failures: list[str] = []
    sent = 0
    for operation in [result.ok() for result in schema.get_all_operations()]:
        cases = _cases(operation, world, examples)
        for role in ROLES:
            self_ending = (operation.method.upper(), operation.path) in SELF_ENDING
            headers = await _throwaway(marcus_database, world, role) if self_ending else world.headers(role)
            for kind, case in cases:
                response = await _send(h.client, case, headers)
                sent += 1
                try:
                    case.validate_response(response, checks=checks)
                except (Exception, BaseExceptionGroup) as error:  # FailureGroup and single failures alike
                    failures.append(_failure(role, kind, case, response, error))
        if operation.path.startswith(("/api/v1/settings", "/admin-general")):
            await _restore_plugins(h.client, world)
    return sent, failures


async def test_every_operation_as_every_role_answers_as_declared(
    marcus_database: TestDatabase, fuzz_world: World
) -> None:
    """No 5xx, and every status, content type, header and body as the schema declares, for
    every operation and role."""
    async with running_app(marcus_database, worker=False, rate_limit_enabled=False) as h:
        spec = (await h.client.get("/openapi.json")).json()
        assert sum(len(ops) for ops in spec["paths"].values()) > 100, "the schema lost its operations"
        sent, failures = await _fuzz(h, marcus_database, fuzz_world, schemathesis.openapi.from_dict(spec), CHECKS)
    assert sent > 1000, f"only {sent} requests were sent"
    assert not failures, f"{len(failures)} of {sent} responses broke the contract:\n" + "\n".join(failures[:60])


async def test_seed_paths_never_answer_5xx(marcus_database: TestDatabase, fuzz_world: World) -> None:
    """The seed's paths served by plugins at the site root (the compat plugin) are not in
    ``/openapi.json`` (another contract, docs/compat.md); fuzzed from their own routes, none may
    answer 5xx."""
    async with running_app(marcus_database, worker=False, rate_limit_enabled=False) as h:
        routes = [route for _, router in h.kernel.plugins.root_routers for route in router.routes]
        if not routes:
            pytest.skip("no installed plugin serves routes at the site root")
        spec = get_openapi(title="Seed paths", version="1", routes=routes)
        sent, failures = await _fuzz(
            h,
            marcus_database,
            fuzz_world,
            schemathesis.openapi.from_dict(spec),
            [not_a_server_error],
            max(2, EXAMPLES // 2),
        )
    assert sent > 100, f"only {sent} requests were sent"
    assert not failures, f"{len(failures)} of {sent} seed-path responses were 5xx:\n" + "\n".join(failures[:60])
