"""The portal's list macros (``portal/lists.html``) and ``querystring`` filter, as plugin
templates use them: the filter form, the table with its count and empty row, the pager whose
links keep the filters."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from marcus.portal.templating import Portal


@pytest.fixture
def draw():
    env = Portal({}, []).env

    def render(body: str, **values) -> str:
        return env.from_string('{% import "portal/lists.html" as lists %}' + body).render(values)

    return render


def test_querystring_keeps_the_given_filters_encoded():
    env = Portal({}, []).env
    assert env.filters["querystring"]({"status": "Open", "search": "", "q": "a&b c"}) == "status=Open&q=a%26b%20c"
    assert env.filters["querystring"]({"status": ""}) == ""


def test_the_pager_keeps_the_filters_and_shows_only_the_way_there_is(draw):
    middle = draw("{{ lists.pager(paging, query) }}", paging=SimpleNamespace(page=2, pages=3), query={"status": "Open"})
    first = draw("{{ lists.pager(paging, {}) }}", paging=SimpleNamespace(page=1, pages=3))
    alone = draw("{{ lists.pager(paging, {}) }}", paging=SimpleNamespace(page=1, pages=1))
    assert '<a href="?page=1&amp;status=Open">Previous</a>' in middle
    assert '<a href="?page=3&amp;status=Open">Next</a>' in middle
    assert "Page 2 of 3" in middle
    assert "Previous" not in first
    assert '<a href="?page=2">Next</a>' in first
    assert "pager" not in alone


def test_the_table_counts_its_rows_and_says_when_there_are_none(draw):
    body = (
        '{% call(row) lists.table(rows, ["Name", "Points"], total=total, noun="customer", empty="Nothing yet.") %}'
        "<td>{{ row.name }}</td><td>{{ row.points }}</td>{% endcall %}"
    )
    one = draw(body, rows=[{"name": "<Ann>", "points": 5}], total=1)
    none = draw(body, rows=[], total=0)
    assert '<caption class="visually-hidden">1 customer</caption>' in one
    assert '<th scope="col">Name</th><th scope="col">Points</th>' in one
    assert "<td>&lt;Ann&gt;</td><td>5</td>" in one
    assert "Nothing yet." not in one
    assert '<caption class="visually-hidden">0 customers</caption>' in none
    assert '<td colspan="2" class="empty">Nothing yet.</td>' in none


def test_the_filter_form_is_a_labelled_search_around_its_fields(draw):
    html = draw('{% call lists.filters("/loyalty", "Filter points") %}<input name="q">{% endcall %}')
    assert '<form method="get" action="/loyalty" class="filters" role="search" aria-label="Filter points">' in html
    assert '<input name="q">' in html
    assert '<button type="submit" class="button button-secondary">Filter</button>' in html
