"""The load generator of ``booking.py``, run as its own process: ``clients`` concurrent aiohttp
clients (one keep-alive connection each) book distinct slots for ``seconds``.

    python benchmarks/_booking_load.py PLAN.json RESULT.json

The plan gives the URL, the tenant, the customers' tokens, the slot ids to book (each used
once, taken from a shared queue) and the duration. Every response is counted: 201 is a
success, anything else an error (by status). Latency is measured per request, send to last
byte. The result is JSON: counts, elapsed seconds, latencies (ms) of the successes, and the
CPU seconds this process used.
"""

from __future__ import annotations

import asyncio
import json
import resource
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import aiohttp

try:
    import uvloop
except ImportError:  # pragma: no cover
    uvloop = None


async def client(
    session: aiohttp.ClientSession,
    plan: dict[str, Any],
    index: int,
    slots: list[str],
    deadline: float,
    out: dict[str, Any],
) -> None:
    token = plan["tokens"][index % len(plan["tokens"])]
    headers = {"Authorization": f"Bearer {token}", "X-Tenant": plan["tenant"], "Content-Type": "application/json"}
    url = plan["url"] + plan.get("path", "/api/v1/appointments")
    while time.perf_counter() < deadline and slots:
        body = json.dumps({"slot_id": slots.pop(), "meeting_type": "Virtual"})
        started = time.perf_counter()
        async with session.post(url, data=body, headers=headers) as response:
            await response.read()
            status = response.status
        elapsed = (time.perf_counter() - started) * 1000
        out["statuses"][status] += 1
        if status == 201:
            out["latencies"].append(elapsed)


async def run(plan: dict[str, Any]) -> dict[str, Any]:
    slots = list(reversed(plan["slots"]))
    out: dict[str, Any] = {"statuses": Counter(), "latencies": []}
    connector = aiohttp.TCPConnector(limit=0, force_close=False)
    timeout = aiohttp.ClientTimeout(total=60)
    cpu_before = resource.getrusage(resource.RUSAGE_SELF)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        started = time.perf_counter()
        deadline = started + plan["seconds"]
        await asyncio.gather(*(client(session, plan, i, slots, deadline, out) for i in range(plan["clients"])))
        elapsed = time.perf_counter() - started
    cpu_after = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (cpu_after.ru_utime - cpu_before.ru_utime) + (cpu_after.ru_stime - cpu_before.ru_stime)
    return {
        "statuses": {str(k): v for k, v in out["statuses"].items()},
        "latencies": out["latencies"],
        "elapsed": elapsed,
        "cpu_seconds": cpu,
        "slots_left": len(slots),
    }


def main() -> None:
    plan = json.loads(Path(sys.argv[1]).read_text())
    if uvloop is not None:
        uvloop.install()
    result = asyncio.run(run(plan))
    Path(sys.argv[2]).write_text(json.dumps(result))


if __name__ == "__main__":
    main()
