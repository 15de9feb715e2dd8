"""Invoice arithmetic, in ``Decimal`` only (never a float).

Rounding rule (documented for accountants): each line is rounded on its own, to the minor
unit of the invoice's currency (cents for EUR, none for JPY, mils for KWD), with
``ROUND_HALF_UP`` (half a cent goes up):

* ``net = round(quantity x unit_price)``
* ``tax = round(net x tax_rate / 100)``
* ``total = net + tax``

and the invoice's subtotal, tax and total are the plain sums of its rounded lines, so the
printed lines always add up to the printed totals. ``3 x 33.33 at 19 %`` is net 99.99, tax
19.00 (18.9981 rounded), total 118.99.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

# ISO 4217 minor units that are not 2 (every other code in circulation has 2).
_NO_MINOR_UNIT = frozenset(
    ["BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "VND", "VUV", "XAF", "XOF", "XPF"]
)
_THREE_DIGITS = frozenset(["BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"])
HUNDRED = Decimal(100)


def minor_digits(currency: str) -> int:
    """Digits after the decimal point of ``currency`` (ISO 4217): 2, or 0 / 3 for a few."""
    code = currency.upper()
    if code in _NO_MINOR_UNIT:
        return 0
    return 3 if code in _THREE_DIGITS else 2


def quantum(currency: str) -> Decimal:
    """The currency's minor unit as a Decimal exponent: ``Decimal("0.01")`` for EUR."""
    return Decimal(1).scaleb(-minor_digits(currency))


def round_money(amount: Decimal, currency: str) -> Decimal:
    """``amount`` rounded half-up to the currency's minor unit."""
    return amount.quantize(quantum(currency), rounding=ROUND_HALF_UP)


def format_amount(amount: Decimal, currency: str) -> str:
    """``Decimal("118.990")`` in EUR -> ``"118.99"``: fixed point, the currency's digits."""
    return f"{round_money(amount, currency):f}"


@dataclass(frozen=True, kw_only=True)
class LineAmounts:
    net: Decimal
    tax: Decimal
    total: Decimal


@dataclass(frozen=True, kw_only=True)
class Totals:
    subtotal: Decimal
    tax: Decimal
    total: Decimal


def line_amounts(*, quantity: Decimal, unit_price: Decimal, tax_rate: Decimal, currency: str) -> LineAmounts:
    """One line's net, tax and total, each rounded to the minor unit (see the module docstring)."""
    net = round_money(quantity * unit_price, currency)
    tax = round_money(net * tax_rate / HUNDRED, currency)
    return LineAmounts(net=net, tax=tax, total=net + tax)


def invoice_totals(lines: Iterable[LineAmounts], currency: str) -> Totals:
    """The sums of already rounded lines (zero, in the currency's digits, for no lines)."""
    zero = round_money(Decimal(0), currency)
    items = list(lines)
    subtotal = sum((line.net for line in items), zero)
    tax = sum((line.tax for line in items), zero)
    return Totals(subtotal=subtotal, tax=tax, total=subtotal + tax)


def tax_breakdown(lines: Iterable[tuple[Decimal, LineAmounts]]) -> list[tuple[Decimal, Decimal, Decimal]]:
    """``(rate, net, tax)`` per tax rate, lowest rate first: the PDF's tax summary."""
    groups: dict[Decimal, tuple[Decimal, Decimal]] = {}
    for rate, amounts in lines:
        key = rate.normalize()
        net, tax = groups.get(key, (Decimal(0), Decimal(0)))
        groups[key] = (net + amounts.net, tax + amounts.tax)
    return [(rate, net, tax) for rate, (net, tax) in sorted(groups.items())]
