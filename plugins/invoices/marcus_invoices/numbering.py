"""Invoice numbers: per workspace, from a configurable pattern, gap-free and collision-free.

A pattern is text with the placeholders ``{prefix}``, ``{year}`` and ``{seq}`` (``{seq:04}``
pads the sequence to 4 digits): the default ``{prefix}-{year}-{seq:04}`` gives
``INV-2026-0001``. ``{seq}`` is required; with ``{year}`` the sequence restarts every year
(the year of the issue date), without it the sequence never restarts.

A number is taken when an invoice is issued, in the issuing transaction, by one upsert on
``invoices_counters`` (one row per workspace and period): the row stays locked until that
transaction ends, so concurrent issues in a workspace take consecutive numbers one after
the other, and a transaction that rolls back gives its number back (no gaps). The unique key
``(organization_id, number)`` is the net under it.
"""

from __future__ import annotations

import re
import uuid

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

import marcus

DEFAULT_PATTERN = "{prefix}-{year}-{seq:04}"
PLACEHOLDER = re.compile(r"\{(prefix|year|seq(?::0?([1-9]))?)\}")
LITERAL = re.compile(r"^[A-Za-z0-9 _./#-]*$")
MAX_LENGTH = 60
ALL_TIME = "all"

_TAKE = text("""
INSERT INTO invoices_counters (organization_id, id, period, value)
VALUES (:org, :id, :period, 1)
ON CONFLICT (organization_id, period) DO UPDATE SET value = invoices_counters.value + 1
RETURNING value
""")


def check_pattern(pattern: str) -> str:
    """``pattern`` if it is a valid number pattern, else ``ValueError`` saying what is wrong."""
    if len(pattern) > MAX_LENGTH:
        raise ValueError(f"at most {MAX_LENGTH} characters")
    names = [m.group(1).split(":")[0] for m in PLACEHOLDER.finditer(pattern)]
    if names.count("seq") != 1:
        raise ValueError("must contain {seq} (or {seq:04}) exactly once")
    if len(set(names)) != len(names):
        raise ValueError("each placeholder may appear once")
    if not LITERAL.match(PLACEHOLDER.sub("", pattern)):
        raise ValueError("besides {prefix}, {year} and {seq:0N} only letters, digits, spaces and _ . / # - are allowed")
    return pattern


def period_of(pattern: str, year: int) -> str:
    """The counter a pattern numbers from: the year when the pattern shows it, else one for all time."""
    return str(year) if "{year}" in pattern else ALL_TIME


def format_number(pattern: str, *, prefix: str, year: int, seq: int) -> str:
    """``format_number("{prefix}-{year}-{seq:04}", prefix="INV", year=2026, seq=1)`` -> ``INV-2026-0001``."""

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name == "prefix":
            return prefix
        if name == "year":
            return f"{year:04d}"
        width = int(match.group(2) or 1)
        return f"{seq:0{width}d}"

    return PLACEHOLDER.sub(replace, pattern)


async def take_number(session: AsyncSession, *, org_id: uuid.UUID, pattern: str, prefix: str, year: int) -> str:
    """The workspace's next number for ``year``, locked to this transaction until it ends."""
    values = {"org": org_id, "id": marcus.new_id(), "period": period_of(pattern, year)}
    seq = (await session.execute(_TAKE, values)).scalar_one()
    return format_number(pattern, prefix=prefix, year=year, seq=int(seq))
