"""Database layer: the declarative ``Base`` and ``TenantScoped`` mixin (``base``), engines and
tenant-bound sessions (``engine``), migration helpers for row-level security (``rls``), the
embedded PostgreSQL (``embedded``), the three roles and their safety checks (``roles``) and
Alembic orchestration (``migrate``)."""
