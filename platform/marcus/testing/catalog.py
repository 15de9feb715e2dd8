"""The schema checks, for plugin tests (they live in the kernel: ``marcus doctor`` runs them too)."""

from marcus.db.catalog import GLOBAL_KEYS, rls_problems, sharding_problems

__all__ = ["GLOBAL_KEYS", "rls_problems", "sharding_problems"]
