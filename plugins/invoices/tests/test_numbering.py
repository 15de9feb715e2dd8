"""Numbers: per workspace, from its pattern, consecutive and collision-free under concurrency,
and gap-free (a failed issue gives its number back)."""

from __future__ import annotations

import asyncio
from datetime import date

import pytest
from marcus_invoices.numbering import DEFAULT_PATTERN, check_pattern, format_number, period_of, take_number

import marcus

YEAR = date.today().year


def test_patterns():
    assert format_number("{prefix}-{year}-{seq:04}", prefix="INV", year=2026, seq=1) == "INV-2026-0001"
    assert format_number("{year}/{seq}", prefix="", year=2026, seq=12345) == "2026/12345"
    assert format_number("R{seq:6}", prefix="x", year=2026, seq=42) == "R000042"
    assert period_of("{prefix}-{year}-{seq:04}", 2026) == "2026"
    assert period_of("{prefix}-{seq:04}", 2026) == "all"
    for bad in ("INV-{year}", "{seq}{seq}", "{prefix}-{seq}{x}", "{seq}<script>", "{seq:0}", "{year}{year}{seq}"):
        with pytest.raises(ValueError):
            check_pattern(bad)


async def test_fifty_concurrent_creations_take_fifty_consecutive_numbers(cached_invoices, shop):
    invoices = cached_invoices
    assert (await invoices.client.get(invoices.API, headers=shop.admin.headers)).status_code == 200  # warm-up

    async def create() -> str:
        response = await invoices.client.post(
            invoices.API,
            json={
                "customer_id": str(shop.alice.id),
                "issue": True,
                "lines": [{"description": "Hour", "quantity": "1", "unit_price": "90"}],
            },
            headers=shop.admin.headers,
        )
        assert response.status_code == 201, response.text
        return str(response.json()["number"])

    numbers = await asyncio.gather(*(create() for _ in range(50)))
    assert sorted(numbers) == [f"INV-{YEAR}-{n:04d}" for n in range(1, 51)]
    stored = await invoices.sql(shop, "SELECT number FROM invoices WHERE organization_id = :org", org=shop.org.id)
    assert sorted(row[0] for row in stored) == sorted(numbers)
    assert len(await invoices.events(shop, "invoices.issued")) == 50


async def test_concurrent_issues_of_drafts_are_consecutive_too(cached_invoices, shop):
    invoices = cached_invoices
    drafts = [await invoices.create(shop.admin, shop.bob) for _ in range(12)]
    responses = await asyncio.gather(*(invoices.post(shop.admin, f"/{d['id']}/issue") for d in drafts))
    assert [r.status_code for r in responses] == [200] * 12
    assert sorted(r.json()["number"] for r in responses) == [f"INV-{YEAR}-{n:04d}" for n in range(1, 13)]
    twice = await asyncio.gather(*(invoices.post(shop.admin, f"/{drafts[0]['id']}/issue") for _ in range(3)))
    assert [r.status_code for r in twice] == [409, 409, 409]


async def test_two_workspaces_number_independently(invoices, make_shop):
    first, second = await make_shop(), await make_shop(number_prefix="RE", number_pattern="{prefix}{year}-{seq:03}")
    a = [await invoices.issued(first) for _ in range(3)]
    b = [await invoices.issued(second) for _ in range(2)]
    assert [x["number"] for x in a] == [f"INV-{YEAR}-0001", f"INV-{YEAR}-0002", f"INV-{YEAR}-0003"]
    assert [x["number"] for x in b] == [f"RE{YEAR}-001", f"RE{YEAR}-002"]


async def test_numbering_restarts_each_year_only_when_the_pattern_shows_the_year(invoices, make_shop):
    yearly, forever = await make_shop(), await make_shop(number_pattern="{prefix}-{seq:05}")
    for shop, expected in (
        (yearly, ["INV-2025-0001", "INV-2026-0001", "INV-2026-0002"]),
        (forever, ["INV-00001", "INV-00002", "INV-00003"]),
    ):
        numbers = []
        for issue_date in ("2025-12-31", "2026-01-01", "2026-01-02"):
            draft = await invoices.create(shop.admin, shop.alice)
            issued = await invoices.post(shop.admin, f"/{draft['id']}/issue", {"issue_date": issue_date})
            numbers.append(issued.json()["number"])
        assert numbers == expected


async def test_drafts_take_no_number_and_a_failed_issue_gives_its_number_back(invoices, shop):
    await invoices.create(shop.admin, shop.alice)
    await invoices.create(shop.admin, shop.alice)
    first = await invoices.issued(shop)
    assert first["number"] == f"INV-{YEAR}-0001"
    # A transaction takes the next number, then fails: the number comes back with the rollback.
    with pytest.raises(RuntimeError):
        async with invoices.db.db.tenant_transaction(shop.org.id) as session:
            taken = await take_number(session, org_id=shop.org.id, pattern=DEFAULT_PATTERN, prefix="INV", year=YEAR)
            assert taken == f"INV-{YEAR}-0002"
            raise RuntimeError("the issuing transaction fails after taking its number")
    # An issue refused by the appointment (cancelled since the draft was made) takes none either.
    appointment = await invoices.appointment(shop, shop.bob)
    draft = await invoices.create(shop.admin, appointment_id=appointment["id"])
    cancelled = await invoices.client.post(
        f"/api/v1/appointments/{appointment['id']}/cancel", json={"reason": "ill"}, headers=shop.admin.headers
    )
    assert cancelled.status_code == 200, cancelled.text
    refused = await invoices.post(shop.admin, f"/{draft['id']}/issue")
    assert refused.status_code == 409, refused.text
    assert (await invoices.issued(shop))["number"] == f"INV-{YEAR}-0002"


async def test_invalid_settings_are_refused_naming_the_field(make_shop):
    with pytest.raises(marcus.Invalid) as refused:
        await make_shop(number_pattern="INV-{year}")
    assert [e["field"] for e in refused.value.errors] == ["invoices.number_pattern"]
    with pytest.raises(marcus.Invalid) as refused:
        await make_shop(number_prefix="IN V", payment_terms_days=-1)
    assert sorted(e["field"] for e in refused.value.errors) == ["invoices.number_prefix", "invoices.payment_terms_days"]
