"""``invoices.mark_overdue``: unpaid issued invoices past their due date (a local day of the
workspace) become Overdue, each exactly once, with ``invoices.overdue``; nothing else moves."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import text

TODAY = datetime.now(UTC).date()


async def issue(invoices, shop, *, due: date, customer=None) -> dict:
    draft = await invoices.create(shop.admin, customer or shop.alice)
    body = {"issue_date": (due - timedelta(days=30)).isoformat(), "due_date": due.isoformat()}
    response = await invoices.post(shop.admin, f"/{draft['id']}/issue", body)
    assert response.status_code == 200, response.text
    return response.json()


async def make_due(invoices, shop) -> None:
    """Time passes: the workspace's overdue job is due again."""
    async with invoices.db.db.platform_session() as session, session.begin():
        await session.execute(
            text(
                "UPDATE job_schedules SET next_run_at = now() WHERE organization_id = :org AND job = 'invoices.mark_overdue'"
            ),
            {"org": shop.org.id},
        )


async def status_of(invoices, shop, invoice) -> str:
    response = await invoices.client.get(f"{invoices.API}/{invoice['id']}", headers=shop.admin.headers)
    return str(response.json()["status"])


async def test_the_job_marks_only_unpaid_invoices_past_due_and_only_once(invoices, shop):
    yesterday, tomorrow = TODAY - timedelta(days=1), TODAY + timedelta(days=1)
    late = await issue(invoices, shop, due=yesterday)
    partly = await issue(invoices, shop, due=yesterday - timedelta(days=10), customer=shop.bob)
    await invoices.post(shop.admin, f"/{partly['id']}/payments", {"amount": "18.99"})
    due_today = await issue(invoices, shop, due=TODAY)
    not_yet = await issue(invoices, shop, due=tomorrow)
    paid = await issue(invoices, shop, due=yesterday)
    await invoices.post(shop.admin, f"/{paid['id']}/payments", {})
    void = await issue(invoices, shop, due=yesterday)
    await invoices.post(shop.admin, f"/{void['id']}/void", {})
    draft = await invoices.create(shop.admin, shop.alice, due_date=yesterday.isoformat())

    assert await invoices.run_jobs() >= 1
    expected = {
        late["id"]: "Overdue",
        partly["id"]: "Overdue",
        due_today["id"]: "Pending",
        not_yet["id"]: "Pending",
        paid["id"]: "Paid",
        void["id"]: "Void",
        draft["id"]: "Draft",
    }
    assert {i: await status_of(invoices, shop, {"id": i}) for i in expected} == expected
    events = await invoices.events(shop, "invoices.overdue")
    assert sorted(e["invoice_id"] for e in events) == sorted([late["id"], partly["id"]])
    assert {e["invoice_id"]: e["balance"] for e in events} == {late["id"]: "118.99", partly["id"]: "100.00"}

    await make_due(invoices, shop)
    assert await invoices.run_jobs() >= 1  # ran again: nothing new to mark
    assert len(await invoices.events(shop, "invoices.overdue")) == 2

    await invoices.deliver()
    notes = (
        await invoices.client.get("/api/v1/notifications?event=invoices.overdue", headers=shop.alice.headers)
    ).json()
    assert [(n["title"], n["message"]) for n in notes["items"]] == [
        ("Invoice overdue", f"Your invoice {late['number']} was due on {yesterday.isoformat()} and is overdue.")
    ]


async def test_an_overdue_invoice_stays_overdue_until_paid_in_full(invoices, shop):
    late = await issue(invoices, shop, due=TODAY - timedelta(days=3))
    await invoices.run_jobs()
    part = await invoices.post(shop.admin, f"/{late['id']}/payments", {"amount": "50"})
    assert (part.json()["status"], part.json()["balance"]) == ("Overdue", "68.99")
    await make_due(invoices, shop)
    await invoices.run_jobs()
    assert len(await invoices.events(shop, "invoices.overdue")) == 1  # not announced twice
    rest = await invoices.post(shop.admin, f"/{late['id']}/payments", {})
    assert (rest.json()["status"], rest.json()["balance"]) == ("Paid", "0.00")
    assert rest.json()["overdue_at"] is not None


async def test_past_due_is_a_local_day_of_the_workspace(invoices, make_shop):
    for zone in ("Pacific/Kiritimati", "Pacific/Pago_Pago"):  # UTC+14 and UTC-11
        shop = await make_shop(time_zone=zone)
        invoice = await issue(invoices, shop, due=TODAY)
        await invoices.run_jobs()
        local_today = datetime.now(ZoneInfo(zone)).date()
        expected = "Overdue" if local_today > TODAY else "Pending"
        assert await status_of(invoices, shop, invoice) == expected, zone


async def test_other_workspaces_are_left_alone(invoices, shop, make_shop):
    other = await make_shop()
    mine = await issue(invoices, shop, due=TODAY - timedelta(days=2))
    theirs = await issue(invoices, other, due=TODAY - timedelta(days=2))
    await invoices.run_jobs()
    assert await status_of(invoices, shop, mine) == "Overdue"
    assert await status_of(invoices, other, theirs) == "Overdue"
    assert [e["invoice_id"] for e in await invoices.events(shop, "invoices.overdue")] == [mine["id"]]
    assert [e["invoice_id"] for e in await invoices.events(other, "invoices.overdue")] == [theirs["id"]]
