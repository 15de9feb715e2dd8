"""Per-request routing and dependency cost: routers declined by prefix, shallow kernel dependencies.

What answers a request must not change (the whole suite checks that through the real app);
these tests pin the two structural properties that keep a request cheap (decisions §30).
"""

from __future__ import annotations

import httpx
from fastapi import APIRouter, FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.dependencies.utils import get_dependant
from starlette.routing import Match

from marcus.auth.deps import get_principal
from marcus.deps import get_session, get_tenant
from marcus.rbac.deps import require
from marcus.routing import PrefixGatedRouter, gate_by_prefix


def small_app() -> FastAPI:
    api = FastAPI()
    things = APIRouter()

    @things.get("")
    async def list_things() -> list[str]:
        return ["all"]

    @things.get("/{thing_id}")
    async def read_thing(thing_id: int) -> dict[str, int]:
        return {"id": thing_id}

    @things.post("/{thing_id}/archive")
    async def archive_thing(thing_id: int) -> dict[str, int]:
        return {"archived": thing_id}

    others = APIRouter(prefix="/others")

    @others.get("/x")
    async def other() -> str:
        return "x"

    pages = APIRouter()

    @pages.get("/")
    async def home() -> str:
        return "home"

    @pages.get("/about")
    async def about() -> str:
        return "about"

    api.include_router(things, prefix="/api/things")
    api.include_router(others, prefix="/api")
    api.include_router(pages)
    gate_by_prefix(api)
    return api


def gated(api: FastAPI) -> list[str]:
    return [entry.prefix for entry in api.router.routes if isinstance(entry, PrefixGatedRouter)]


def test_each_included_router_gets_the_literal_prefix_of_its_paths():
    # The pages' paths share only "/": gated by it, which declines nothing.
    assert gated(small_app()) == ["/api/things", "/api/others/x", "/"]


def test_a_router_declines_a_path_outside_its_prefix_and_matches_inside_it():
    things = next(e for e in small_app().router.routes if isinstance(e, PrefixGatedRouter))
    scope = {"type": "http", "method": "GET", "root_path": "", "headers": []}
    assert things.matches({**scope, "path": "/about"})[0] is Match.NONE
    assert things.matches({**scope, "path": "/api/thingsx"})[0] is Match.NONE
    assert things.matches({**scope, "path": "/api/things/7"})[0] is Match.FULL


async def test_the_same_routes_answer_with_the_same_statuses():
    api = small_app()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=api), base_url="http://t") as client:
        assert (await client.get("/api/things")).json() == ["all"]
        assert (await client.get("/api/things/5")).json() == {"id": 5}
        assert (await client.post("/api/things/5/archive")).json() == {"archived": 5}
        assert (await client.get("/api/things/five")).status_code == 422
        assert (await client.delete("/api/things/5")).status_code == 405
        assert (await client.get("/api/thingsx")).status_code == 404
        slash = await client.get("/api/things/")
        assert (slash.status_code, slash.headers["location"]) == (307, "http://t/api/things")
        assert (await client.get("/api/others/x")).json() == "x"
        assert (await client.get("/about")).json() == "about"
        assert (await client.get("/")).json() == "home"


def test_openapi_and_url_building_still_see_every_route():
    api = small_app()
    assert set(api.openapi()["paths"]) == {"/api/things", "/api/things/{thing_id}", "/api/things/{thing_id}/archive",
                                           "/api/others/x", "/", "/about"}  # fmt: skip
    assert api.url_path_for("read_thing", thing_id=3) == "/api/things/3"


async def test_the_app_gates_the_api_routers_by_their_own_prefixes(marcus_app):
    prefixes = gated(marcus_app.app.api)
    assert "/api/v1/auth/" in prefixes
    assert "/api/v1/roles" in prefixes
    api_prefixes = [p for p in prefixes if p.startswith("/api/")]
    assert all(p.startswith("/api/v1/") for p in api_prefixes), api_prefixes


def sub_dependencies(dependant: Dependant) -> list[str]:
    """Every sub-dependency FastAPI visits to solve ``dependant``, repeats included: FastAPI walks
    a shared dependency's sub-tree again wherever it is declared (its cache saves only the call)."""
    names = []
    for sub in dependant.dependencies:
        names.append(getattr(sub.call, "__name__", type(sub.call).__name__))
        names.extend(sub_dependencies(sub))
    return names


def test_the_kernel_dependencies_stay_shallow():
    assert sub_dependencies(get_dependant(path="/", call=get_tenant)) == []
    assert sub_dependencies(get_dependant(path="/", call=get_session)) == ["get_tenant"]
    principal = sub_dependencies(get_dependant(path="/", call=get_principal))
    assert principal == ["get_tenant", "get_session", "get_tenant", "HTTPBearer"]
    check = require("kernel.user:read").dependency
    assert len(sub_dependencies(get_dependant(path="/", call=check))) == 8
