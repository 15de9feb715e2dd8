"""Password hashing with Argon2 (pwdlib), off the event loop: a hash costs tens of milliseconds."""

from __future__ import annotations

import asyncio
from functools import lru_cache

from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

from marcus.config import Settings


@lru_cache(maxsize=8)
def _hasher(time_cost: int, memory_cost: int, parallelism: int) -> PasswordHash:
    return PasswordHash((Argon2Hasher(time_cost=time_cost, memory_cost=memory_cost, parallelism=parallelism),))


def password_hasher(settings: Settings) -> PasswordHash:
    """The Argon2 hasher with the cost the settings name."""
    return _hasher(settings.argon2_time_cost, settings.argon2_memory_cost, settings.argon2_parallelism)


async def hash_password(settings: Settings, password: str) -> str:
    """The Argon2 hash of ``password`` (computed in a worker thread)."""
    return await asyncio.to_thread(password_hasher(settings).hash, password)


async def verify_password(settings: Settings, password: str, hashed: str | None) -> bool:
    """Whether ``password`` matches ``hashed``. With no hash, a dummy one is checked so that an
    unknown account takes as long to refuse as a wrong password."""
    hasher = password_hasher(settings)
    target = hashed or _dummy_hash(settings.argon2_time_cost, settings.argon2_memory_cost, settings.argon2_parallelism)
    ok = await asyncio.to_thread(_verify, hasher, password, target)
    return ok and hashed is not None


def needs_rehash(settings: Settings, hashed: str) -> bool:
    """Whether ``hashed`` was made with another cost than the settings name (rehash at next login)."""
    try:
        return password_hasher(settings).hashers[0].check_needs_rehash(hashed)
    except Exception:
        return True


def _verify(hasher: PasswordHash, password: str, hashed: str) -> bool:
    try:
        return hasher.verify(password, hashed)
    except Exception:  # a malformed stored hash is a refusal, never a 500
        return False


@lru_cache(maxsize=8)
def _dummy_hash(time_cost: int, memory_cost: int, parallelism: int) -> str:
    return _hasher(time_cost, memory_cost, parallelism).hash("marcus-timing-equaliser")
