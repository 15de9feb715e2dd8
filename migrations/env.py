"""Alembic environment for Marcus: the kernel does the work (see marcus.db.migrate)."""

from alembic import context

from marcus.db.migrate import run_environment

run_environment(context)
