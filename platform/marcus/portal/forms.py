"""Forms: read a submitted form into a pydantic model, and collect the errors each field shows.

``parse_form(Model, form)`` validates what the browser sent (empty inputs count as not
given, so optional fields keep their defaults) and returns the model or the errors per field.
``FormErrors.of_error(exc)`` turns a service's domain error (whose ``errors`` name fields, as
the API's problem details do) into the same shape, so a page shows a taken slug or a wrong
password next to its field, exactly where the validation error would be; with ``fields=``
(the fields the form shows) an error about anything else is shown on top of the form.
``errors.renamed(...)`` moves messages to the names a page's fields carry (a prefix, one
field for a list's items, or the top of the form). ``chosen_files(form)`` reads a file input.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping
from typing import Any, TypeVar, cast

import fastapi
from pydantic import BaseModel, ValidationError
from starlette.datastructures import FormData, UploadFile

from marcus.errors import MarcusError

M = TypeVar("M", bound=BaseModel)
MESSAGES = {
    "missing": "This field is required.",
    "string_too_short": "This field is required.",
    "value_error": "",
}


def _field(loc: Iterable[Any]) -> str:
    parts = [str(p) for p in loc]
    if parts and parts[0] == "body":
        parts = parts[1:]
    return ".".join(parts) or "__all__"


def _head(name: str) -> str:
    """The field a message is about: ``files`` for ``files.0``."""
    return name.split(".", 1)[0]


class FormErrors:
    """Messages per field name (``fields``) and for the form as a whole (``general``)."""

    def __init__(self) -> None:
        self.fields: dict[str, list[str]] = {}
        self.general: list[str] = []

    def __bool__(self) -> bool:
        return bool(self.fields or self.general)

    def add(self, field: str | None, message: str) -> FormErrors:
        """Add a message for ``field`` (None or ``__all__``: the whole form)."""
        if field in (None, "__all__"):
            self.general.append(message)
        else:
            self.fields.setdefault(field, []).append(message)
        return self

    def has(self, field: str) -> bool:
        return field in self.fields

    def of(self, field: str) -> list[str]:
        """The messages of one field (empty when it is fine)."""
        return self.fields.get(field, [])

    @classmethod
    def of_validation(cls, exc: ValidationError) -> FormErrors:
        errors = cls()
        for error in exc.errors():
            message = MESSAGES.get(error["type"]) or error["msg"].removeprefix("Value error, ")
            errors.add(_field(error["loc"]), message)
        return errors

    @classmethod
    def of_error(cls, exc: MarcusError, *, fields: Collection[str] | None = None) -> FormErrors:
        """A domain error's field messages, or its detail for the whole form.

        With ``fields`` (the form's fields), the detail also stands for messages none of
        which belongs to one of them (``files.0`` belongs to ``files``): nothing to show them by.
        """
        errors = cls()
        for item in exc.errors:
            if item.get("field") and item.get("message"):
                errors.add(_field(str(item["field"]).split(".")), str(item["message"]))
        if not errors.fields or (fields is not None and not any(_head(name) in fields for name in errors.fields)):
            return cls().add(None, exc.detail)
        return errors

    def renamed(self, rename: Callable[[str], str | None]) -> FormErrors:
        """The same messages, each field's under ``rename(field)`` (None: for the whole form)."""
        moved = FormErrors()
        for name, messages in self.fields.items():
            for message in messages:
                moved.add(rename(name), message)
        moved.general += self.general
        return moved

    def items_as_one(self, field: str) -> FormErrors:
        """Messages about a list's items (``files.0``, ``files.1`` ...) shown next to its one input."""
        return self.renamed(lambda name: field if name.startswith(field) else name)


def chosen_files(form: FormData, name: str = "files") -> list[fastapi.UploadFile]:
    """The files picked in the form's file input ``name`` (a browser sends one empty part when none is),
    typed as the API's uploads are, so a page hands them to the same service functions."""
    picked = [f for f in form.getlist(name) if isinstance(f, UploadFile) and f.filename]
    return cast("list[fastapi.UploadFile]", picked)  # FastAPI's class adds only pydantic hooks to Starlette's


def form_values(form: FormData | Mapping[str, Any]) -> dict[str, Any]:
    """The submitted text values (not files, not the CSRF token); repeated names become lists."""
    values: dict[str, Any] = {}
    items = form.multi_items() if isinstance(form, FormData) else list(form.items())
    for key, value in items:
        if key == "csrf_token" or isinstance(value, UploadFile):
            continue
        if key in values:
            previous = values[key]
            values[key] = [*previous, value] if isinstance(previous, list) else [previous, value]
        else:
            values[key] = value
    return values


def parse_form(
    model: type[M], form: FormData | Mapping[str, Any], *, fields: Iterable[str] | None = None
) -> tuple[M | None, FormErrors]:
    """Validate the submitted ``fields`` (default: the model's) into ``model``; empty inputs are omitted."""
    wanted = set(fields) if fields is not None else set(model.model_fields)
    values = {k: v for k, v in form_values(form).items() if k in wanted and v != ""}
    try:
        return model.model_validate(values), FormErrors()
    except ValidationError as exc:
        return None, FormErrors.of_validation(exc)
