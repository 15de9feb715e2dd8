"""The isolation matrix's machinery: the schema (with plugins' root routes), the cases
(operation x role) generated from the route table (``routes.py``), the request built for each
from the OpenAPI operation and the seeded objects, and what each role may get back."""

from __future__ import annotations

import base64
import contextlib
import copy
import dataclasses
import json
import os
import re
import tempfile
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

from fastapi.openapi.utils import get_openapi

# ``routes.py`` is loaded by the conftest before this module (sibling modules load by path).
from marcus_isolation_routes import (
    BODY_REFS,
    CUSTOMER,
    FILTERS,
    GLOBAL_OBJECTS,
    PARAMS,
    PUBLIC,
    ROUTES,
    STAFF,
    Ref,
    Route,
)

from marcus.app import create_app
from marcus.config import Settings
from marcus.rootroutes import RootGate

PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64

WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


def openapi() -> dict[str, Any]:
    """The schema of Marcus with every installed plugin (built once; no database needed).

    Plugins' root routes (``register_root_routers``, e.g. compat's seed-API paths) are left out
    of the app's ``/openapi.json`` (they serve another contract) but touch tenant data all the
    same: they are added here, from the same route objects, so the matrix classifies them too.
    """
    return _schema()


@cache
def _schema() -> dict[str, Any]:
    url = os.environ.get("MARCUS_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    settings = Settings(env="test", database_url=url, data_dir=Path(tempfile.mkdtemp(prefix="marcus-matrix-")))
    api = create_app(settings).api
    root = [route for gate in api.routes if isinstance(gate, RootGate) for route in gate.routes]
    return get_openapi(title=api.title, version=api.version, routes=[*api.routes, *root])


def operations(schema: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """``"METHOD /path"`` -> the OpenAPI operation."""
    return {
        f"{method.upper()} {path}": op
        for path, ops in schema["paths"].items()
        for method, op in ops.items()
        if method in ("get", "post", "put", "patch", "delete")
    }


@dataclass(frozen=True)
class Case:
    """One request of the matrix: an operation sent by one role."""

    key: str
    role: str
    kind: str  # "read" or "write"
    filtered: bool = False  # optional id filters of the query set to A's (Alice's) rows

    @property
    def id(self) -> str:
        return f"{self.key} [{self.role}{' filtered' if self.filtered else ''}]"

    @property
    def method(self) -> str:
        return self.key.split(" ", 1)[0]

    @property
    def path(self) -> str:
        return self.key.split(" ", 1)[1]

    @property
    def route(self) -> Route:
        return ROUTES[self.key]


def cases(schema: dict[str, Any]) -> list[Case]:
    """Every (classified operation, role) the matrix runs; writes skip a write's legitimate authors."""
    found = []
    for key in operations(schema):
        if key not in ROUTES:
            continue
        route = ROUTES[key]
        kind = "write" if key.split(" ")[0] in WRITE_METHODS else "read"
        filters = kind == "read" and any(p in FILTERS for p in _optional_query(schema, key))
        for role in route.roles:
            if kind == "write" and not attacks(key, route, role):
                continue
            found.append(Case(key, role, kind))
            if filters and role != "owner":
                found.append(Case(key, role, kind, filtered=True))
    return found


def _optional_query(schema: dict[str, Any], key: str) -> list[str]:
    params = operations(schema)[key].get("parameters", [])
    return [p["name"] for p in params if p["in"] == "query" and not p.get("required")]


def attacks(key: str, route: Route, role: str) -> bool:
    """True when ``role`` sending this write must fail (the others are its legitimate authors)."""
    if role == "owner":
        return False  # the control: runs on workspace C (test_write_controls)
    if role in ("alice", "bob") and route.audience == STAFF:
        return True
    if role == "alice":
        return False  # Alice writing her own rows is legitimate
    if role == "bob":
        return route.audience == CUSTOMER and "{" in key and not route.customers_write
    return True


# ---------------------------------------------------------------------------------------------
# Requests


@dataclass
class Request:
    method: str
    url: str
    query: dict[str, Any]
    json: Any = None
    data: dict[str, Any] | None = None
    files: list[tuple[str, tuple[str, bytes, str]]] | None = None
    sent: set[str] = field(default_factory=set)  # values of the target workspace the request carries
    refs_in_body: bool = False
    targets_rows: bool = False  # the path names rows of the target workspace

    def kwargs(self) -> dict[str, Any]:
        out: dict[str, Any] = {"params": self.query}
        if self.json is not None:
            out["json"] = self.json
        if self.data is not None:
            out["data"] = self.data
        if self.files is not None:
            out["files"] = self.files
        return out


def build(
    schema: dict[str, Any], key: str, objects: dict[str, str], control: bool = False, filtered: bool = False
) -> Request:
    """The request for operation ``key`` aimed at the workspace whose seeded ``objects`` are given."""
    method, path = key.split(" ", 1)
    route = ROUTES[key]
    if control and route.control_params:
        route = dataclasses.replace(route, params=route.params | route.control_params)
    op = operations(schema)[key]
    req = Request(method=method, url=path, query={})
    for param in op.get("parameters", []):
        name, where = param["name"], param["in"]
        if where not in ("path", "query") or (where == "query" and not param.get("required")):
            continue
        value = _param_value(name, route, objects, param.get("schema", {}), schema)
        req.sent.add(str(value))
        if where == "path":
            req.url = req.url.replace("{" + name + "}", str(value))
            req.targets_rows |= str(value) in objects.values() and str(value) not in _global(objects)
        else:
            req.query[name] = value
    for name, value in route.params.items():
        if "{" not in req.url and name not in req.query and name not in _path_names(path):
            req.query[name] = _resolve(value, objects)
    if filtered:
        for name in _optional_query(schema, key):
            if name in FILTERS:
                req.query[name] = objects[FILTERS[name]]
                req.sent.add(objects[FILTERS[name]])
    body = op.get("requestBody")
    if body:
        _fill_body(schema, body, route, objects, req)
    elif route.form is not None:
        form = _resolve(route.form, objects)
        req.data = {"data": json.dumps(form)}
        upload = (
            ("upload.png", PNG, "image/png") if route.file_type == "png" else ("upload.pdf", PDF, "application/pdf")
        )
        req.files = [(name, upload) for name in route.files]
        _note_refs(req, form, objects)
    elif route.body is not None:
        req.json = _resolve(route.body, objects)
        _note_refs(req, req.json, objects)
    return req


def _note_refs(req: Request, body: Any, objects: dict[str, str]) -> None:
    req.refs_in_body = any(v in objects.values() and v not in _global(objects) for v in _flat(body))
    req.sent |= {str(v) for v in _flat(body)}


def _global(objects: dict[str, str]) -> set[str]:
    return {objects[name] for name in GLOBAL_OBJECTS if name in objects}


def _path_names(path: str) -> list[str]:
    return re.findall(r"{(\w+)}", path)


def _param_value(name: str, route: Route, objects: dict[str, str], sch: dict[str, Any], schema: dict[str, Any]) -> Any:
    if name in route.params:
        return _resolve(route.params[name], objects)
    if name in PARAMS:
        return objects[PARAMS[name]]
    return generate(schema, sch, objects, name)


def _resolve(value: Any, objects: dict[str, str]) -> Any:
    if isinstance(value, Ref):
        return objects[value.name]
    if isinstance(value, list):
        return [_resolve(v, objects) for v in value]
    if isinstance(value, dict):
        return {k: _resolve(v, objects) for k, v in value.items()}
    return value


def _fill_body(
    schema: dict[str, Any], body: dict[str, Any], route: Route, objects: dict[str, str], req: Request
) -> None:
    content_type, media = next(iter(body["content"].items()))
    generated = generate(schema, media.get("schema", {}), objects, "body") or {}
    if isinstance(generated, dict):
        generated |= _resolve(route.body or {}, objects)
    _note_refs(req, generated, objects)
    if content_type == "multipart/form-data":
        req.files, req.data = [], {}
        for name, value in generated.items():
            if value == "<file>":
                req.files.append((name, ("upload.png", PNG, "image/png")))
            elif isinstance(value, list) and value and value[0] == "<file>":
                req.files.append((name, ("upload.pdf", PDF, "application/pdf")))
            else:
                req.data[name] = value
    else:
        req.json = generated


def _flat(value: Any) -> Iterable[Any]:
    if isinstance(value, dict):
        for v in value.values():
            yield from _flat(v)
    elif isinstance(value, list):
        for v in value:
            yield from _flat(v)
    else:
        yield value


def generate(schema: dict[str, Any], sch: dict[str, Any], objects: dict[str, str], name: str) -> Any:
    """A minimal valid value for ``sch``: required properties only, ids from the seeded objects."""
    sch = _deref(schema, sch)
    if name in BODY_REFS and BODY_REFS[name] in objects and _is_uuid(schema, sch):
        return objects[BODY_REFS[name]]
    if "anyOf" in sch:
        options = [o for o in sch["anyOf"] if _deref(schema, o).get("type") != "null"]
        return generate(schema, options[0], objects, name) if options else None
    if "enum" in sch:
        return sch["enum"][0]
    kind = sch.get("type")
    if kind == "object":
        props = sch.get("properties", {})
        return {p: generate(schema, props[p], objects, p) for p in sch.get("required", []) if p in props}
    if kind == "array":
        item = generate(schema, sch.get("items", {}), objects, name)
        return [item] if sch.get("minItems", 0) or item == "<file>" else []
    if kind in ("integer", "number"):
        return sch.get("default", max(1, int(sch.get("minimum", 1))))
    if kind == "boolean":
        return sch.get("default", False)
    return _string(sch, name)


def _string(sch: dict[str, Any], name: str) -> str:
    fmt = sch.get("format")
    later = datetime.now(UTC) + timedelta(days=12)
    if sch.get("contentMediaType") or fmt == "binary":
        return "<file>"
    values = {
        "date": later.date().isoformat(),
        "date-time": later.isoformat(),
        "time": "10:00",
        "email": "matrix@example.com",
        "uuid": "00000000-0000-7000-8000-000000000000",
    }
    if fmt in values:
        return values[fmt]
    if "password" in name:
        return "another correct horse battery"
    return "matrix" + "x" * max(0, int(sch.get("minLength", 1)) - 6)


def _deref(schema: dict[str, Any], sch: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in sch:
        name = sch["$ref"].rsplit("/", 1)[-1]
        sch = schema["components"]["schemas"][name]
    return copy.deepcopy(sch)


def _is_uuid(schema: dict[str, Any], sch: dict[str, Any]) -> bool:
    if sch.get("format") == "uuid":
        return True
    return any(_deref(schema, o).get("format") == "uuid" for o in sch.get("anyOf", []))


# ---------------------------------------------------------------------------------------------
# Expectations


def expected_status(case: Case, req: Request) -> set[int] | None:
    """The statuses ``case`` may answer (None: any; the body checks still apply)."""
    route, role = case.route, case.role
    success = set(range(200, 300))
    targets_a = req.targets_rows
    if role == "b_token":
        # A public route that reads no token answers as to anyone (its body is checked as such).
        return {401} | success if route.audience == PUBLIC and case.kind == "read" else {401}
    if role == "b_admin":
        if targets_a:
            return {403, 404}
        if case.kind == "write" and req.refs_in_body:
            return {400, 403, 404, 409, 422}
        return None
    if role == "anonymous":
        return success if route.audience == PUBLIC and case.kind == "read" else {401}
    if case.kind == "write":
        return {403, 404}
    # reads by people of A
    if role == "owner":
        return success
    if route.audience == STAFF:
        return {403, 404}
    if role == "bob" and case.filtered:
        return success | {403, 404}  # filtering by another customer: an empty page or a refusal
    if role == "bob" and route.audience == CUSTOMER and targets_a and not route.capability_of:
        return {403, 404}
    return success


def forbidden(case: Case, a: Any, status: int) -> set[str]:
    """What ``case``'s response may not contain of workspace A."""
    role, route = case.role, case.route
    if role == "b_admin" or (role == "b_token" and (route.audience != PUBLIC or status == 401)):
        return a.everything()
    if role == "owner":
        return set()
    # Anonymous callers and B's token on a public route see what anyone on A's host sees.
    private = {name: values for name, values in a.private.items() if name not in (role, route.capability_of)}
    return a.staff_only.union(*private.values())


def leaks(response: Any, forbidden: set[str], sent: set[str]) -> list[str]:
    """Forbidden ids and markers found in the body or headers (values the request itself sent excepted)."""
    text = readable(response.content) + "\n".join(response.headers.values())
    return sorted(value for value in forbidden - sent if value and value in text)


def readable(content: bytes) -> str:
    """The body as text, with PDF content streams (ReportLab: ASCII85 + Flate) decoded so the
    text they draw can be scanned too."""
    parts = [content.decode("utf-8", "replace")]
    if content.startswith(b"%PDF"):
        for match in re.finditer(rb"stream\r?\n(.*?)endstream", content, re.DOTALL):
            raw = re.sub(rb"\s", b"", match.group(1))
            with contextlib.suppress(ValueError, zlib.error):
                raw = base64.a85decode(raw.removesuffix(b"~>")) if raw.endswith(b"~>") else raw
                parts.append(zlib.decompress(raw).decode("latin-1"))
    return "\n".join(parts)
