"""Form errors a page shows: a service's domain error next to the form's own fields or on top
of the form, and messages moved to the names the page's fields carry."""

from __future__ import annotations

import marcus
from marcus.portal.forms import FormErrors


def conflict(*fields: str) -> marcus.Conflict:
    return marcus.Conflict("That time was just taken.", errors=[{"field": f, "message": "taken"} for f in fields])


def test_a_domain_error_stays_next_to_a_field_the_form_shows():
    errors = FormErrors.of_error(conflict("body.slot_id"), fields=("slot_id", "note"))
    assert errors.fields == {"slot_id": ["taken"]}
    assert errors.general == []


def test_an_item_of_a_list_field_belongs_to_that_field():
    assert FormErrors.of_error(conflict("body.files.0"), fields=("files",)).fields == {"files.0": ["taken"]}


def test_a_domain_error_about_other_fields_goes_on_top_of_the_form():
    errors = FormErrors.of_error(conflict("body.capacity"), fields=("slot_id",))
    assert errors.fields == {}
    assert errors.general == ["That time was just taken."]
    assert FormErrors.of_error(conflict("body.capacity")).fields == {"capacity": ["taken"]}  # no fields: all kept


def test_renamed_moves_messages_and_keeps_the_forms_own():
    errors = FormErrors().add("date", "bad day").add("end", "too late").add(None, "check the form")
    moved = errors.renamed(lambda name: "day-" + name if name == "date" else None)
    assert moved.fields == {"day-date": ["bad day"]}
    assert moved.general == ["too late", "check the form"]
