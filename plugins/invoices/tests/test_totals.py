"""Money is Decimal end to end: lines are rounded half-up to the currency's minor unit, the
totals are the sums of the rounded lines, and the API returns exact decimal strings."""

from __future__ import annotations

from decimal import Decimal

import pytest
from marcus_invoices.totals import format_amount, invoice_totals, line_amounts, minor_digits


def test_three_times_33_33_at_19_percent_is_exact_to_the_cent():
    line = line_amounts(quantity=Decimal(3), unit_price=Decimal("33.33"), tax_rate=Decimal(19), currency="EUR")
    assert (line.net, line.tax, line.total) == (Decimal("99.99"), Decimal("19.00"), Decimal("118.99"))
    totals = invoice_totals([line, line, line], "EUR")
    assert (totals.subtotal, totals.tax, totals.total) == (Decimal("299.97"), Decimal("57.00"), Decimal("356.97"))


@pytest.mark.parametrize(
    ("quantity", "price", "rate", "currency", "expected"),
    [
        ("1", "0.05", "10", "EUR", ("0.05", "0.01", "0.06")),  # 0.005 goes up: half-up
        ("1", "0.04", "12.5", "EUR", ("0.04", "0.01", "0.05")),  # 0.005 again
        ("0.333", "10", "7.7", "CHF", ("3.33", "0.26", "3.59")),
        ("7", "1.1", "19", "EUR", ("7.70", "1.46", "9.16")),  # 7.7 * 0.19 = 1.463
        ("3", "333.5", "10", "JPY", ("1001", "100", "1101")),  # no minor unit
        ("1", "1.2345", "5", "KWD", ("1.235", "0.062", "1.297")),  # three digits
        ("2", "19.99", "0", "USD", ("39.98", "0.00", "39.98")),
    ],
)
def test_awkward_lines(quantity, price, rate, currency, expected):
    line = line_amounts(
        quantity=Decimal(quantity), unit_price=Decimal(price), tax_rate=Decimal(rate), currency=currency
    )
    assert tuple(format_amount(v, currency) for v in (line.net, line.tax, line.total)) == expected


def test_minor_units():
    assert [minor_digits(c) for c in ("EUR", "usd", "JPY", "KRW", "KWD", "BHD")] == [2, 2, 0, 0, 3, 3]


async def test_the_api_returns_the_exact_totals(invoices, shop):
    lines = [
        {"description": "Hours", "quantity": "3", "unit_price": "33.33", "tax_rate": "19"},
        {"description": "Book", "quantity": 1, "unit_price": 0.05, "tax_rate": 7},  # JSON numbers read as decimals
        {"description": "Travel", "quantity": "1.5", "unit_price": "12.10", "tax_rate": "0"},
    ]
    invoice = await invoices.create(shop.admin, shop.alice, lines=lines)
    assert [(x["net"], x["tax"], x["total"]) for x in invoice["lines"]] == [
        ("99.99", "19.00", "118.99"),
        ("0.05", "0.00", "0.05"),
        ("18.15", "0.00", "18.15"),
    ]
    assert (invoice["subtotal"], invoice["tax_total"], invoice["total"]) == ("118.19", "19.00", "137.19")
    assert (invoice["currency"], invoice["balance"], invoice["status"], invoice["number"]) == (
        "EUR",
        "0.00",
        "Draft",
        None,
    )
    again = (await invoices.client.get(f"{invoices.API}/{invoice['id']}", headers=shop.admin.headers)).json()
    assert again["total"] == "137.19"
    assert again["lines"][0] | {"quantity": "3", "unit_price": "33.33", "tax_rate": "19"} == again["lines"][0]


async def test_currency_of_the_workspace_sets_the_digits(invoices, make_shop):
    shop = await make_shop(currency="JPY")
    invoice = await invoices.create(
        shop.admin, shop.alice, lines=[{"description": "Tea", "quantity": "3", "unit_price": "333.5", "tax_rate": "10"}]
    )
    assert (invoice["currency"], invoice["subtotal"], invoice["tax_total"], invoice["total"]) == (
        "JPY",
        "1001",
        "100",
        "1101",
    )


@pytest.mark.parametrize(
    ("line", "field"),
    [
        ({"description": "x", "quantity": "0", "unit_price": "1"}, "quantity"),
        ({"description": "x", "quantity": "1", "unit_price": "-1"}, "unit_price"),
        ({"description": "x", "quantity": "1", "unit_price": "1", "tax_rate": "101"}, "tax_rate"),
        ({"description": "x", "quantity": "1", "unit_price": "1.00001"}, "unit_price"),
        ({"description": "", "quantity": "1", "unit_price": "1"}, "description"),
        ({"description": "x", "quantity": "1", "unit_price": "abc"}, "unit_price"),
    ],
)
async def test_bad_lines_are_422_naming_the_field(invoices, shop, line, field):
    response = await invoices.client.post(
        invoices.API, json={"customer_id": str(shop.alice.id), "lines": [line]}, headers=shop.admin.headers
    )
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    fields = [e["field"] for e in response.json()["errors"]]
    assert any(f.endswith(f"lines.0.{field}") for f in fields), fields
