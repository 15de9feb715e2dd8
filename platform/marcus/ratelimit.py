"""Rate limits for abuse-prone endpoints (login, code checks, resends, signups), per IP and per
account: fixed windows counted in process, or in Redis when ``MARCUS_REDIS_URL`` is set so that
every replica shares the counters. A refusal is a 429 problem with ``Retry-After``.

Rules are ``"COUNT/SECONDS"``; ``MARCUS_RATE_LIMITS`` (JSON) overrides any of ``DEFAULT_RULES``.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass
from typing import Annotated, Any, Protocol

from fastapi import Depends, Request
from fastapi.responses import JSONResponse

from marcus.config import Settings
from marcus.errors import MarcusError, problem

log = logging.getLogger("marcus.ratelimit")

DEFAULT_RULES: dict[str, str] = {
    "login_ip": "30/60",
    "login_account": "10/900",
    "verify_ip": "30/60",
    "verify_account": "10/600",
    "resend_ip": "10/60",
    "resend_account": "5/900",
    "signup_ip": "10/3600",
    "contact_ip": "5/3600",  # public contact forms that mail the workspace's admins
    "operator_login_ip": "10/60",
}


class RateLimited(MarcusError):
    """Too many attempts; ``retry_after`` seconds until the next one is allowed."""

    status, code, title = 429, "rate_limited", "Too many requests"

    def __init__(self, detail: str, *, retry_after: int, code: str | None = None) -> None:
        super().__init__(detail, code=code)
        self.retry_after = max(1, retry_after)


async def rate_limited_handler(_: Request, exc: Exception) -> JSONResponse:
    """Render ``RateLimited`` as a 429 problem with ``Retry-After``."""
    assert isinstance(exc, RateLimited)
    response = problem(exc.status, exc.title, exc.detail, exc.code, retry_after=exc.retry_after)
    response.headers["Retry-After"] = str(exc.retry_after)
    return response


@dataclass(frozen=True)
class Rule:
    count: int
    seconds: int

    @classmethod
    def parse(cls, name: str, value: str) -> Rule:
        try:
            count, seconds = (int(part) for part in value.split("/", 1))
        except ValueError as exc:
            raise ValueError(f"rate limit '{name}' must look like COUNT/SECONDS, not {value!r}") from exc
        if count < 1 or seconds < 1:
            raise ValueError(f"rate limit '{name}' needs a positive count and window")
        return cls(count, seconds)


class Backend(Protocol):
    async def hit(self, key: str, seconds: int) -> int:
        """Count one hit in the window ``key`` (expiring after ``seconds``); the count so far."""

    async def close(self) -> None: ...


class MemoryBackend:
    """Counters in this process (one replica, tests, development)."""

    def __init__(self) -> None:
        self._counts: dict[str, tuple[float, int]] = {}

    async def hit(self, key: str, seconds: int) -> int:
        now = time.monotonic()
        if len(self._counts) > 10_000:
            self._counts = {k: v for k, v in self._counts.items() if v[0] > now}
        expires, count = self._counts.get(key, (now + seconds, 0))
        self._counts[key] = (expires, count + 1)
        return count + 1

    async def close(self) -> None:
        self._counts.clear()


class RedisBackend:
    """Counters in Redis: ``INCR`` + ``EXPIRE`` in one round trip, shared by every replica.

    While Redis cannot be reached, hits are counted in this process instead (each replica then
    enforces the limits on its own share of the traffic): a Redis outage neither blocks sign-ins
    with 503s nor lifts the limits.
    """

    def __init__(self, url: str) -> None:
        import redis.asyncio as redis

        self._redis: Any = redis.Redis.from_url(url)
        self._fallback = MemoryBackend()
        self._degraded = False

    async def hit(self, key: str, seconds: int) -> int:
        from redis.exceptions import ConnectionError as RedisConnectionError
        from redis.exceptions import TimeoutError as RedisTimeoutError

        try:
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.incr(key)
                pipe.expire(key, seconds + 1)
                count, _ = await pipe.execute()
        except (RedisConnectionError, RedisTimeoutError) as exc:
            if not self._degraded:
                log.warning("Redis unavailable (%s): rate limits counted in this process", type(exc).__name__)
            self._degraded = True
            return await self._fallback.hit(key, seconds)
        if self._degraded:
            log.info("Redis reachable again: rate limits counted in Redis")
        self._degraded = False
        return int(count)

    async def close(self) -> None:
        await self._fallback.close()
        await self._redis.aclose()


class RateLimiter:
    """Checks named rules against keys (an IP, an account); raises ``RateLimited`` past the limit."""

    def __init__(self, settings: Settings, backend: Backend | None = None) -> None:
        merged = DEFAULT_RULES | settings.rate_limits
        self.rules = {name: Rule.parse(name, value) for name, value in merged.items()}
        self.enabled = settings.rate_limit_enabled
        self.backend: Backend = backend or (RedisBackend(settings.redis_url) if settings.redis_url else MemoryBackend())

    async def check(self, rule: str, key: str) -> None:
        """Count one attempt of ``rule`` for ``key``; 429 when the window's budget is spent."""
        if not self.enabled:
            return
        limit = self.rules[rule]
        now = time.time()
        window = math.floor(now / limit.seconds)
        count = await self.backend.hit(f"marcus:rl:{rule}:{key}:{window}", limit.seconds)
        if count > limit.count:
            retry_after = math.ceil((window + 1) * limit.seconds - now)
            raise RateLimited("Too many attempts; try again later.", retry_after=retry_after)

    async def check_attempt(self, action: str, *, ip: str, account: str | None = None) -> None:
        """Check ``<action>_ip`` for the caller's address and ``<action>_account`` for the account."""
        await self.check(f"{action}_ip", ip)
        if account is not None:
            await self.check(f"{action}_account", account)

    async def close(self) -> None:
        await self.backend.close()


def get_rate_limiter(request: Request) -> RateLimiter:
    """The app's rate limiter (made in ``create_app``)."""
    limiter: RateLimiter = request.app.state.kernel.limiter
    return limiter


RateLimiterDep = Annotated[RateLimiter, Depends(get_rate_limiter)]


def client_ip(request: Request) -> str:
    """The caller's address as the server sees it (uvicorn applies trusted proxy headers)."""
    return request.client.host if request.client else "unknown"
