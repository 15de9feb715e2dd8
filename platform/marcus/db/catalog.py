"""Catalog checks over PostgreSQL: every tenant table under forced row-level security with a
policy, every view ``security_invoker``, and the distribution rules (keys that
include ``organization_id``) that keep the schema shardable by tenant."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

# Tables allowed a key without organization_id, with the reason (docs/decisions.md).
GLOBAL_KEYS = {
    "organization_domains": "a host name maps to one workspace across the platform (reference table)",
}

_RLS = text("""
SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity,
       (SELECT count(*) FROM pg_policy p WHERE p.polrelid = c.oid) AS policies
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p')
  AND (c.relname = 'organizations' OR EXISTS (
       SELECT 1 FROM pg_attribute a
       WHERE a.attrelid = c.oid AND a.attname = 'organization_id' AND NOT a.attisdropped))
ORDER BY c.relname
""")
_VIEWS = text("""
SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = current_schema() AND c.relkind = 'v'
  AND NOT coalesce(c.reloptions && ARRAY['security_invoker=true', 'security_invoker=on', 'security_invoker=1'], false)
""")
_KEYS = text("""
SELECT c.relname, con.conname, con.contype,
       (SELECT array_agg(a.attname ORDER BY a.attnum) FROM pg_attribute a
        WHERE a.attrelid = c.oid AND a.attnum = ANY (con.conkey)) AS columns
FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = current_schema() AND con.contype IN ('p', 'u', 'f')
  AND EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'organization_id')
""")
_INDEXES = text("""
SELECT t.relname, i.relname, (SELECT attname FROM pg_attribute WHERE attrelid = t.oid AND attnum = x.indkey[0])
FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid
JOIN pg_namespace n ON n.oid = t.relnamespace
WHERE n.nspname = current_schema()
  AND EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = t.oid AND a.attname = 'organization_id')
""")


async def rls_problems(conn: AsyncConnection) -> list[str]:
    """Tenant tables lacking ENABLE or FORCE row-level security or a policy; unsafe views."""
    problems = []
    for table, enabled, forced, policies in (await conn.execute(_RLS)).all():
        missing = [w for w, ok in (("ENABLE", enabled), ("FORCE", forced), ("a policy", policies)) if not ok]
        if missing:
            problems.append(
                f"table {table} lacks {', '.join(missing)} row-level security (use marcus.enable_tenant_rls)"
            )
    problems += [f"view {v} is not security_invoker" for (v,) in (await conn.execute(_VIEWS)).all()]
    return problems


async def sharding_problems(conn: AsyncConnection) -> list[str]:
    """Keys and indexes of tenant tables that do not include / lead with organization_id."""
    problems = []
    for table, name, kind, columns in (await conn.execute(_KEYS)).all():
        if table in GLOBAL_KEYS or "organization_id" in columns:
            continue
        what = {"p": "primary key", "u": "unique key", "f": "foreign key"}[kind]
        problems.append(f"{table}.{name}: {what} on {columns} lacks organization_id")
    for table, index, first in (await conn.execute(_INDEXES)).all():
        if table not in GLOBAL_KEYS and first != "organization_id":
            problems.append(f"{table}.{index}: index does not lead with organization_id")
    return problems
