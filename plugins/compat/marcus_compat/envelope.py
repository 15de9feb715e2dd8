"""The seed's wire conventions, shared by every compat module (seed-api.md §1).

- ``CompatRouter`` / ``CompatRoute``: routes whose errors, whatever raised them (domain errors,
  ``HTTPException``, request validation, authentication, rate limits, upload caps), are rendered
  in the seed's error shape ``{"success": false, "statusCode", "message", "code"}`` instead of
  problem details; the bare ``Authorization: <token>`` header of seed clients is accepted; the
  request body is capped before it is parsed (``marcus.UploadRoute``).
- ``ok`` / ``paginated``: the ``{success, message, data}`` envelope and the seed's ``meta``.
  ``ok`` camelCases dict keys recursively (``camel``) and leaves values alone, so callers pass
  plain ``model_dump()`` output or dicts with snake_case keys.
- ``multipart_data``: the seed's multipart convention (a ``data`` field holding JSON, plus
  ``file`` / ``files``) and plain JSON bodies, validated by a ``CompatModel``.
- ``SeedPage``: the seed's ``?page=&limit=`` (defaults 1 and 10, bad values fall back to them;
  ``limit`` capped at 100).
- ``pascal`` / ``unpascal``: enum spellings (``in_person`` <-> ``InPerson``).

Status codes (docs/decisions.md): not-found 404, conflict 409, authentication 401, permission
403, invalid input 400 (the seed's validation status; ``message`` is then a list of strings and
``errors`` names each field), too large 413, rate limited 429 with ``Retry-After``.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Coroutine, Mapping, Sequence
from typing import Annotated, Any, TypeVar, cast

from fastapi import APIRouter, Depends, Query, Request, Response, UploadFile
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, ValidationError
from pydantic.alias_generators import to_camel
from starlette.datastructures import UploadFile as FormFile
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import Receive, Scope, Send

import marcus

log = logging.getLogger("marcus.compat")
M = TypeVar("M", bound=BaseModel)

DEFAULT_PAGE, DEFAULT_LIMIT, MAX_LIMIT, MAX_PAGE = 1, 10, 100, 1_000_000
MAX_FILES = 10
KEEP_KEYS = frozenset({"access_token", "refresh_token"})  # the seed's own spelling
DB_UNAVAILABLE_NAMES = {"OperationalError", "InterfaceError", "TimeoutError"}

# --- key spellings ---------------------------------------------------------------------------

_CAMEL_BOUNDARY = re.compile(r"(?<=[a-z0-9])([A-Z])")


def camel_key(key: str) -> str:
    """``created_at`` -> ``createdAt``; ``access_token`` (and ``refresh_token``) are kept as the seed spells them."""
    if key in KEEP_KEYS or "_" not in key.strip("_"):
        return key
    return to_camel(key)


def snake_key(key: str) -> str:
    """``createdAt`` -> ``created_at``."""
    return _CAMEL_BOUNDARY.sub(r"_\1", key).lower()


def camel(obj: Any) -> Any:
    """Recursively camelCase the keys of dicts (inside lists too); values are left alone."""
    if isinstance(obj, Mapping):
        return {camel_key(str(k)): camel(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [camel(v) for v in obj]
    return obj


def snake(obj: Any) -> Any:
    """Recursively snake_case the keys of dicts: the reverse of ``camel`` for request bodies."""
    if isinstance(obj, Mapping):
        return {snake_key(str(k)): snake(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [snake(v) for v in obj]
    return obj


def pascal(value: str) -> str:
    """A Marcus enum value in the seed's spelling: ``in_person`` -> ``InPerson``."""
    return "".join(part[:1].upper() + part[1:] for part in value.split("_"))


def unpascal(value: str) -> str:
    """The seed's enum spelling as a Marcus value: ``BankTransfer`` -> ``bank_transfer``."""
    return snake_key(value)


# --- success envelope ------------------------------------------------------------------------


def _jsonable(data: Any) -> Any:
    if isinstance(data, BaseModel):
        return data.model_dump(mode="json")
    if isinstance(data, Mapping):
        return {k: _jsonable(v) for k, v in data.items()}
    if isinstance(data, list | tuple):
        return [_jsonable(v) for v in data]
    return data


def wire(data: Any) -> Any:
    """``data`` as JSON values (UUIDs, times, decimals as strings) with camelCase keys."""
    return camel(jsonable_encoder(_jsonable(data)))


def envelope_body(data: Any, message: str) -> dict[str, Any]:
    """``{"success": true, "message", "data"}`` (``data`` omitted when None, as the seed does)."""
    body: dict[str, Any] = {"success": True, "message": message}
    if data is not None:
        body["data"] = wire(data)
    return body


def ok(data: Any, message: str, status_code: int = 200) -> JSONResponse:
    """The seed's success envelope. ``data`` keys are camelCased here (pass snake_case freely)."""
    return JSONResponse(envelope_body(data, message), status_code=status_code)


def raw(data: Any, status_code: int = 200) -> JSONResponse:
    """A body without envelope (the seed's raw endpoints), keys camelCased like ``ok``."""
    return JSONResponse(wire(data), status_code=status_code)


def page_meta(*, page: int, limit: int, total: int) -> dict[str, Any]:
    """The seed's ``meta`` (src/common/utils/pagination.ts)."""
    pages = -(-total // limit) if limit else 0
    before = (page - 1) * limit
    return {
        "currentPage": page,
        "perPage": limit,
        "totalItems": total,
        "totalPages": pages,
        "pageItemCount": max(0, min(limit, total - before)),
        "hasNextPage": page < pages,
        "hasPrevPage": page > 1,
    }


def paginated(items: Sequence[Any], *, page: int, limit: int, total: int, message: str) -> JSONResponse:
    """``{"success", "message", "data": {"data": [...], "meta": {...}}}``; items camelCased."""
    body: dict[str, Any] = {
        "success": True,
        "message": message,
        "data": {
            "data": wire(list(items)),
            "meta": page_meta(page=page, limit=limit, total=total),
        },
    }
    return JSONResponse(body)


class SeedPageParams(BaseModel):
    page: int
    limit: int


def _positive(value: str | None, default: int) -> int:
    try:
        number = int(value) if value is not None else default
    except ValueError:
        return default
    return number if number > 0 else default


async def seed_page(
    page: Annotated[str | None, Query(description="Page number, from 1 (default 1)")] = None,
    limit: Annotated[str | None, Query(description=f"Items per page (default 10, at most {MAX_LIMIT})")] = None,
) -> SeedPageParams:
    """The seed's paging: zero, negative or non-numeric values fall back to the defaults."""
    page_number = min(_positive(page, DEFAULT_PAGE), MAX_PAGE)
    return SeedPageParams(page=page_number, limit=min(_positive(limit, DEFAULT_LIMIT), MAX_LIMIT))


SeedPage = Annotated[SeedPageParams, Depends(seed_page)]


# --- errors ----------------------------------------------------------------------------------


def error_response(
    status: int,
    message: str | list[str],
    code: str,
    *,
    errors: list[dict[str, Any]] | None = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    """The seed's error shape, plus ``code`` (and ``errors`` naming each invalid field)."""
    body: dict[str, Any] = {"success": False, "statusCode": status, "message": message, "code": code}
    if errors:
        body["errors"] = errors
    return JSONResponse(body, status_code=status, headers=dict(headers or {}))


def _field(loc: Sequence[Any]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header", "form")]
    return ".".join(camel_key(p) for p in parts) or "body"


def validation_errors(raw_errors: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Pydantic/FastAPI errors as ``[{"field", "message"}]`` (never echoing the input)."""
    return [{"field": _field(e.get("loc", ())), "message": str(e.get("msg", "invalid"))} for e in raw_errors]


def _invalid(errors: list[dict[str, Any]]) -> JSONResponse:
    messages = [f"{e['field']}: {e['message']}" for e in errors] or ["Invalid request"]
    return error_response(400, messages, "validation_error", errors=errors)


def render_error(exc: Exception) -> JSONResponse | None:
    """The seed-shaped response for ``exc``, or None when it is not an error we render."""
    if isinstance(exc, marcus.MarcusError):
        status = 400 if exc.status == 422 else exc.status
        headers = {"Retry-After": str(getattr(exc, "retry_after", 5))} if status in (429, 503) else None
        return error_response(status, exc.detail, exc.code, errors=exc.errors or None, headers=headers)
    if isinstance(exc, RequestValidationError):
        return _invalid(validation_errors(exc.errors()))
    if isinstance(exc, ValidationError):
        return _invalid(validation_errors(exc.errors()))
    if isinstance(exc, StarletteHTTPException):
        code = {401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed"}
        return error_response(
            exc.status_code, str(exc.detail), code.get(exc.status_code, "http_error"), headers=exc.headers
        )
    if type(exc).__name__ in DB_UNAVAILABLE_NAMES and type(exc).__module__.startswith(("sqlalchemy", "psycopg")):
        log.warning("database unavailable: %s", type(exc).__name__)
        return error_response(503, "Database unavailable", "database_unavailable", headers={"Retry-After": "5"})
    return None


class CompatRoute(marcus.UploadRoute):
    """A route speaking the seed's dialect: seed-shaped errors and the bare-token header.

    Everything a handler or its dependencies raise is rendered here, so only compat routes are
    affected; an unexpected exception is logged and answered as the seed's opaque 500.
    """

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        scope["headers"] = bearer_headers(scope.get("headers", []))
        await super().handle(scope, receive, send)

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def seed_errors(request: Request) -> Response:
            try:
                return await handler(request)
            except Exception as exc:
                response = render_error(exc)
                if response is None:
                    log.exception("unhandled error in compat route %s", request.url.path, exc_info=exc)
                    return error_response(500, "Internal server error", "internal_error")
                return response

        return seed_errors


def bearer_headers(headers: Sequence[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    """Seed clients send ``Authorization: <token>``; Marcus expects ``Bearer <token>``."""
    fixed: list[tuple[bytes, bytes]] = []
    for name, value in headers:
        if name.lower() == b"authorization" and value.strip() and b" " not in value.strip():
            value = b"Bearer " + value.strip()
        fixed.append((name, value))
    return fixed


class CompatRouter(APIRouter):
    """An ``APIRouter`` whose routes are ``CompatRoute``s (seed errors, bare tokens, capped bodies)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("route_class", CompatRoute)
        kwargs.setdefault("tags", ["compat"])
        super().__init__(**kwargs)


# --- request bodies --------------------------------------------------------------------------


class CompatModel(BaseModel):
    """Base of compat request models: camelCase on the wire (snake_case accepted too), unknown
    fields refused (the seed's ``forbidNonWhitelisted``), so ``role`` or ``userId`` cannot slip in."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")


def _parse_data(value: Any) -> dict[str, Any]:
    if isinstance(value, FormFile):
        raise marcus.Invalid(
            "The 'data' field must be a JSON text field, not a file.",
            code="invalid_data",
            errors=[{"field": "data", "message": "must be a JSON object in a text field"}],
        )
    if isinstance(value, Mapping):
        return dict(value)
    try:
        parsed = json.loads(value) if isinstance(value, str | bytes) and value else {}
    except ValueError:
        parsed = None
    if not isinstance(parsed, dict):
        raise marcus.Invalid(
            "Invalid JSON format in data field",
            code="invalid_data",
            errors=[{"field": "data", "message": "must be a JSON object"}],
        )
    return parsed


async def request_fields(
    request: Request, *, file_fields: Sequence[str] = ("file", "files")
) -> tuple[dict[str, Any], list[UploadFile], bool]:
    """The submitted fields (``data`` JSON merged over plain fields), the files, and whether
    anything at all was sent. Accepts multipart, urlencoded and JSON bodies."""
    content_type = request.headers.get("content-type", "").lower()
    fields: dict[str, Any] = {}
    files: list[UploadFile] = []
    sent = False
    if content_type.startswith(("multipart/form-data", "application/x-www-form-urlencoded")):
        form = await request.form(max_files=MAX_FILES, max_fields=200)
        data: dict[str, Any] = {}
        for key, value in form.multi_items():
            if key in file_fields:
                if isinstance(value, FormFile) and (value.filename or value.size):
                    files.append(cast(UploadFile, value))  # FastAPI's UploadFile is Starlette's, typed
                elif not isinstance(value, FormFile) and value != "":
                    raise marcus.Invalid(
                        f"'{key}' must be a file.",
                        code="invalid_file",
                        errors=[{"field": key, "message": "not a file"}],
                    )
            elif key == "data":
                data = _parse_data(value)
            elif isinstance(value, str):
                fields[key] = value
        fields.update(data)
        sent = bool(fields or files or "data" in form)
    else:
        body = await request.body()
        if body.strip():
            try:
                payload = json.loads(body)
            except ValueError:
                raise marcus.Invalid(
                    "The request body is not valid JSON.",
                    code="invalid_json",
                    errors=[{"field": "body", "message": "not valid JSON"}],
                ) from None
            if not isinstance(payload, dict):
                raise marcus.Invalid(
                    "The request body must be a JSON object.",
                    code="invalid_json",
                    errors=[{"field": "body", "message": "must be a JSON object"}],
                )
            if "data" in payload and len(payload) == 1 and isinstance(payload["data"], str | dict):
                payload = _parse_data(payload["data"])
            fields, sent = payload, True
    return fields, files, sent


def validate(model: type[M], fields: Mapping[str, Any]) -> M:
    """Validate ``fields`` (camelCase or snake_case keys) with ``model``; errors are a 400 naming each field."""
    try:
        return model.model_validate(dict(fields))
    except ValidationError as exc:
        errors = validation_errors(exc.errors())
        raise marcus.Invalid(
            "; ".join(f"{e['field']}: {e['message']}" for e in errors), code="validation_error", errors=errors
        ) from None


async def multipart_data(
    request: Request,
    model: type[M],
    *,
    file_fields: Sequence[str] = ("file", "files"),
    max_files: int = MAX_FILES,
) -> tuple[M, list[UploadFile]]:
    """Parse the seed's multipart convention (``data`` JSON + ``file``/``files``) or a JSON body
    into ``model`` and the uploaded files. Invalid ``data`` JSON is a 400 naming ``data``."""
    fields, files, _ = await request_fields(request, file_fields=file_fields)
    if len(files) > max_files:
        raise marcus.Invalid(
            f"At most {max_files} files may be sent.",
            code="too_many_files",
            errors=[{"field": file_fields[-1], "message": f"at most {max_files} files"}],
        )
    return validate(model, fields), files
