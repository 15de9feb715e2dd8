"""Prometheus metrics: requests by route template, backlog gauges, pools, connections and job
runs; no tenant data in the output; the optional bearer token and the separate port."""

from __future__ import annotations

import asyncio

import aiohttp
import httpx
import pytest
import socketio
from prometheus_client.parser import text_string_to_metric_families
from pydantic import SecretStr

import marcus
from marcus.mail.models import PENDING, MailMessage
from marcus.testing import make_plugin
from marcus.testing.server import free_port
from marcus.testing.users import create_user
from marcus.worker import job_runner_for, relay_for


def samples(text: str) -> dict[tuple[str, frozenset], float]:
    """Every sample of an exposition as {(name, labels): value}."""
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def value(parsed: dict, name: str, **labels: str) -> float | None:
    return parsed.get((name, frozenset(labels.items())))


async def scrape(client: httpx.AsyncClient, **headers: str) -> dict:
    response = await client.get("/metrics", headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    return samples(response.text)


@pytest.fixture(scope="module")
async def metrics_db(marcus_make_database):
    database = marcus_make_database(None)
    yield database
    await database.dispose()


async def test_requests_are_counted_by_route_template_and_status_without_tenant_data(
    metrics_db, tenant_factory, marcus_app_factory
):
    org = await tenant_factory(database=metrics_db)
    admin = await create_user(metrics_db, org, role="admin")
    customer = await create_user(metrics_db, org)
    async with marcus_app_factory(metrics_db, worker=False) as h:
        for _ in range(2):
            read = await h.client.get(f"/api/v1/roles/users/{customer.id}", headers=admin.headers)
            assert read.status_code == 200
        assert (await h.client.get(f"/api/v1/roles/users/{customer.id}", headers=customer.headers)).status_code == 403
        assert (await h.client.get(f"/nothing/here/{customer.id}")).status_code == 404
        response = await h.client.get("/metrics")
    parsed = samples(response.text)
    template = "/api/v1/roles/users/{user_id}"
    count = "marcus_http_requests_total"
    assert value(parsed, count, method="GET", route=template, status="200") == 2
    assert value(parsed, count, method="GET", route=template, status="403") == 1
    assert value(parsed, count, method="GET", route="<unmatched>", status="404") == 1
    duration = "marcus_http_request_duration_seconds_count"
    assert value(parsed, duration, method="GET", route=template) == 3
    for private in (str(customer.id), str(admin.id), str(org.id), org.slug, customer.email):
        assert private not in response.text  # route templates only: no ids, slugs or emails


async def test_backlog_gauges_show_pending_events_and_mail_then_drain(metrics_db, tenant_factory, marcus_app_factory):
    org = await tenant_factory(database=metrics_db)
    admin = await create_user(metrics_db, org, role="admin")
    async with marcus_app_factory(metrics_db, worker=False, metrics_backlog_ttl=0) as h:
        sent = await h.client.post(
            "/api/v1/notifications/send",
            headers=admin.headers,
            json={"title": "Hi", "message": "Backlog", "broadcast": True},
        )
        assert sent.status_code == 202
        async with metrics_db.db.tenant_transaction(org.id) as session:
            session.add(
                MailMessage(
                    recipient="a@x.org", subject="s", body_text="t", body_html="h", template="t", status=PENDING
                )
            )
        await asyncio.sleep(0.05)
        before = await scrape(h.client)
        while await relay_for(h.kernel).run_once():
            pass
        after = await scrape(h.client)
    assert value(before, "marcus_outbox_pending_events") >= 1
    assert value(before, "marcus_outbox_oldest_pending_age_seconds") > 0
    assert value(before, "marcus_mail_pending_messages") >= 1
    assert value(after, "marcus_outbox_pending_events") == 0
    assert value(after, "marcus_outbox_oldest_pending_age_seconds") == 0


async def test_backlog_is_read_at_most_once_per_ttl(metrics_db, marcus_app_factory, monkeypatch):
    async with marcus_app_factory(metrics_db, worker=False, metrics_backlog_ttl=60) as h:
        queries = 0
        original = marcus.metrics._query_backlog

        async def counted(engine):
            nonlocal queries
            queries += 1
            return await original(engine)

        monkeypatch.setattr(marcus.metrics, "_query_backlog", counted)
        for _ in range(5):
            await scrape(h.client)
            await h.client.get("/healthz")
    assert queries == 1


async def test_pool_gauges_report_both_engines(metrics_db, marcus_app_factory):
    async with marcus_app_factory(metrics_db, worker=False, db_pool_size=7) as h:
        await h.client.get("/readyz")
        parsed = await scrape(h.client)
    assert value(parsed, "marcus_db_pool_size", engine="app") == 7
    assert value(parsed, "marcus_db_pool_size", engine="platform") == 3
    assert value(parsed, "marcus_db_pool_checked_out", engine="app") == 0
    assert value(parsed, "marcus_db_pool_idle", engine="app") >= 1


async def test_socketio_and_websocket_connections_are_gauged(metrics_db, tenant_factory, marcus_live_server):
    org = await tenant_factory(database=metrics_db)
    user = await create_user(metrics_db, org)
    async with marcus_live_server(metrics_db, worker=False) as server, httpx.AsyncClient(base_url=server.url) as http:
        client = socketio.AsyncClient(reconnection=False)
        await client.connect(
            server.url,
            namespaces=["/notifications"],
            auth=user.auth,
            headers={"X-Tenant": user.slug},
            transports=["websocket"],
            wait_timeout=5,
        )
        async with (
            aiohttp.ClientSession() as session,
            session.ws_connect(f"{server.url}/ws/notifications?token={user.access_token}", headers=user.headers) as ws,
        ):
            assert (await ws.receive_json(timeout=5))["event"] == "connected"
            during = await scrape(http)
        await client.disconnect()
        await asyncio.sleep(0.2)
        after = await scrape(http)
    assert value(during, "marcus_socketio_connections", namespace="/notifications") == 1
    assert value(during, "marcus_websocket_connections") == 1
    assert value(after, "marcus_socketio_connections", namespace="/notifications") == 0
    assert value(after, "marcus_websocket_connections") == 0


async def ok_job(session, tenant):
    return None


async def failing_job(session, tenant):
    raise RuntimeError("nope")


ticker = make_plugin(
    marcus.PluginManifest(name="ticker", version="1"),
    register_jobs=lambda: [
        marcus.Job(name="ticker.ok", every_seconds=3600, run=ok_job),
        marcus.Job(name="ticker.fails", every_seconds=3600, run=failing_job),
    ],
)


async def test_job_runs_are_counted_by_job_and_outcome(metrics_db, tenant_factory, marcus_app_factory):
    await tenant_factory(database=metrics_db, plugins=["ticker"], installed=[ticker])
    async with marcus_app_factory(metrics_db, plugins=[ticker], worker=False) as h:
        assert await job_runner_for(h.kernel, h.app.metrics).run_due() >= 2
        parsed = await scrape(h.client)
    assert value(parsed, "marcus_job_runs_total", job="ticker.ok", outcome="ok") >= 1
    assert value(parsed, "marcus_job_runs_total", job="ticker.fails", outcome="error") >= 1
    assert value(parsed, "marcus_job_duration_seconds_count", job="ticker.ok") >= 1


async def test_a_metrics_token_guards_the_endpoint(metrics_db, marcus_app_factory):
    async with marcus_app_factory(metrics_db, worker=False, metrics_token=SecretStr("scrape-me-please")) as h:
        missing = await h.client.get("/metrics")
        wrong = await h.client.get("/metrics", headers={"Authorization": "Bearer nope"})
        right = await h.client.get("/metrics", headers={"Authorization": "Bearer scrape-me-please"})
    assert missing.status_code == wrong.status_code == 401
    assert missing.headers["content-type"] == "application/problem+json"
    assert missing.json()["code"] == "metrics_token_required"
    assert right.status_code == 200
    assert "marcus_http_requests_total" in right.text


async def test_a_metrics_port_serves_them_apart_from_the_api(metrics_db, marcus_app_factory):
    port = free_port()
    async with marcus_app_factory(
        metrics_db, worker=False, metrics_port=port, metrics_token=SecretStr("scrape-me-please")
    ) as h:
        on_api = await h.client.get("/metrics")
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=5) as direct:
            unauthorized = await direct.get("/metrics")
            served = await direct.get("/metrics", headers={"Authorization": "Bearer scrape-me-please"})
            elsewhere = await direct.get("/healthz")
            head = await direct.head("/metrics", headers={"Authorization": "Bearer scrape-me-please"})
    assert on_api.status_code == 404
    assert unauthorized.status_code == 401
    assert served.status_code == 200
    assert "marcus_db_pool_size" in served.text
    assert elsewhere.status_code == 404
    assert head.status_code == 200
    assert head.content == b""
