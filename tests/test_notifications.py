"""Notifications, activity feed and dashboard through the API, per role and per tenant."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select, text

import marcus
from marcus.events import Event, Notice, publish
from marcus.notifications.models import Activity, Notification
from marcus.testing import make_plugin
from marcus.worker import relay_for


class Contacted(Event):
    name = "crm.contacted"
    notice = Notice(type="Contact", title="We called you", message="Call outcome: {outcome}.")
    outcome: str


class Newsletter(Event):
    name = "crm.newsletter_sent"
    notice = Notice(type="Newsletter", title="News", message="Our newsletter is out.", broadcast=True)


async def _widget(session, tenant, grant):
    return {"contacts": 7 if grant.scope == "any" else 1}


async def _broken_widget(session, tenant, grant):
    raise RuntimeError("widget down")


crm = make_plugin(
    marcus.PluginManifest(name="crm", version="1"),
    register_event_types=lambda: [Contacted, Newsletter],
    register_dashboard_widgets=lambda: [
        marcus.DashboardWidget(name="crm.contacts", title="Contacts", loader=_widget),
        marcus.DashboardWidget(name="crm.broken", title="Broken", loader=_broken_widget),
    ],
)


@pytest.fixture(scope="module")
async def crm_db(marcus_make_database):
    database = marcus_make_database([crm])
    yield database
    await database.dispose()


@pytest.fixture
async def shop(crm_db, tenant_factory, user_factory):
    org = await tenant_factory(database=crm_db, plugins=["crm"])
    return {
        "org": org,
        "admin": await user_factory(org, database=crm_db, role="admin"),
        "staff": await user_factory(org, database=crm_db, role="staff"),
        "alice": await user_factory(org, database=crm_db, role="customer"),
        "bob": await user_factory(org, database=crm_db, role="customer"),
    }


async def emit(h, org, event, actor=None):
    async with h.kernel.db.tenant_transaction(org.id) as session:
        await publish(session, event, actor_id=actor)
    while await relay_for(h.kernel).run_once():
        pass


async def test_customer_sees_own_notifications_with_correct_read_filter(crm_db, shop, marcus_app_factory):
    org, alice, bob = shop["org"], shop["alice"], shop["bob"]
    async with marcus_app_factory(crm_db, worker=False) as h:
        await emit(h, org, Contacted(customer_id=alice.id, outcome="booked"))
        await emit(h, org, Contacted(customer_id=alice.id, outcome="no answer"))
        await emit(h, org, Contacted(customer_id=bob.id, outcome="bob only"))
        page = (await h.client.get("/api/v1/notifications", headers=alice.headers)).json()
        assert page["total"] == 2
        assert [n["message"] for n in page["items"]] == ["Call outcome: no answer.", "Call outcome: booked."]
        first = page["items"][0]
        read = await h.client.post(f"/api/v1/notifications/{first['id']}/read", headers=alice.headers)
        assert read.json()["is_customer_read"] is True
        assert read.json()["is_admin_read"] is False
        unread = (await h.client.get("/api/v1/notifications?is_read=false", headers=alice.headers)).json()
        is_read = (await h.client.get("/api/v1/notifications?is_read=true", headers=alice.headers)).json()
        assert [n["id"] for n in is_read["items"]] == [first["id"]]
        assert unread["total"] == 1
        assert (await h.client.get("/api/v1/notifications/unread-count", headers=alice.headers)).json() == {"unread": 1}
        foreign = await h.client.post(f"/api/v1/notifications/{first['id']}/read", headers=bob.headers)
        assert foreign.status_code == 404
        assert (await h.client.post("/api/v1/notifications/read-all", headers=alice.headers)).json() == {"updated": 1}
        bad = await h.client.get("/api/v1/notifications?is_read=maybe", headers=alice.headers)
        assert bad.status_code == 422
        assert bad.json()["errors"][0]["field"] == "query.is_read"


async def test_staff_see_the_workspace_with_their_own_flag(crm_db, shop, marcus_app_factory):
    org, staff, alice, bob = shop["org"], shop["staff"], shop["alice"], shop["bob"]
    async with marcus_app_factory(crm_db, worker=False) as h:
        await emit(h, org, Contacted(customer_id=alice.id, outcome="a"))
        await emit(h, org, Contacted(customer_id=bob.id, outcome="b"))
        page = (await h.client.get("/api/v1/notifications?event=crm.contacted", headers=staff.headers)).json()
        assert page["total"] == 2
        assert (await h.client.post("/api/v1/notifications/read-all", headers=staff.headers)).json() == {"updated": 2}
        mine = (await h.client.get("/api/v1/notifications?is_read=false", headers=alice.headers)).json()
        assert mine["total"] == 1  # the admin flag is separate from the customer's


async def test_manual_notifications_and_broadcast_skip_inactive_users(crm_db, shop, marcus_app_factory):
    org, admin, alice, bob = shop["org"], shop["admin"], shop["alice"], shop["bob"]
    async with marcus_app_factory(crm_db, worker=False) as h:
        async with h.kernel.db.tenant_transaction(org.id) as session:
            await session.execute(text("UPDATE users SET is_blocked = true WHERE id = :b"), {"b": bob.id})
        refused = await h.client.post(
            "/api/v1/notifications/send",
            headers=admin.headers,
            json={"title": "Hi", "message": "Hello", "user_ids": [str(bob.id), str(uuid.uuid4())]},
        )
        assert refused.status_code == 422
        assert str(bob.id) in refused.json()["detail"]
        assert (
            await h.client.post(
                "/api/v1/notifications/send", headers=admin.headers, json={"title": "x", "message": "y"}
            )
        ).status_code == 422
        forbidden = await h.client.post(
            "/api/v1/notifications/send", headers=alice.headers, json={"title": "x", "message": "y", "broadcast": True}
        )
        assert forbidden.status_code == 403
        sent = await h.client.post(
            "/api/v1/notifications/send",
            headers=admin.headers,
            json={"title": "Closed", "message": "Friday {closed}", "broadcast": True},
        )
        assert sent.status_code == 202
        while await relay_for(h.kernel).run_once():
            pass
        async with h.kernel.db.tenant_session(org.id) as session:
            rows = (
                await session.execute(
                    select(Notification.user_id, Notification.message).where(Notification.event == "kernel.announced")
                )
            ).all()
        recipients = {uid for uid, _ in rows}
        assert alice.id in recipients
        assert bob.id not in recipients
        assert {m for _, m in rows} == {"Friday {closed}"}


async def test_preferences_turn_channels_off_and_on(crm_db, shop, marcus_app_factory):
    org, admin, alice = shop["org"], shop["admin"], shop["alice"]
    async with marcus_app_factory(crm_db, worker=False) as h:
        prefs = (await h.client.get("/api/v1/notifications/preferences", headers=admin.headers)).json()
        assert {"event": "crm.contacted", "in_app": True, "email": False} in prefs
        off = await h.client.put(
            "/api/v1/notifications/preferences/crm.contacted",
            headers=admin.headers,
            json={"in_app": False, "email": False},
        )
        assert off.status_code == 200
        assert (
            await h.client.put(
                "/api/v1/notifications/preferences/nope.never",
                headers=admin.headers,
                json={"in_app": True, "email": True},
            )
        ).status_code == 404
        assert (await h.client.get("/api/v1/notifications/preferences", headers=alice.headers)).status_code == 403
        await emit(h, org, Contacted(customer_id=alice.id, outcome="silent"))
        async with h.kernel.db.tenant_session(org.id) as session:
            assert (await session.scalars(select(Notification).where(Notification.user_id == alice.id))).all() == []
            activity = (await session.scalars(select(Activity).where(Activity.user_id == alice.id))).all()
        assert [a.description for a in activity] == ["Call outcome: silent."]


async def test_activity_feed_scopes_and_filters(crm_db, shop, marcus_app_factory):
    org, staff, alice, bob = shop["org"], shop["staff"], shop["alice"], shop["bob"]
    entity = uuid.uuid4()
    async with marcus_app_factory(crm_db, worker=False) as h:
        await emit(h, org, Contacted(customer_id=alice.id, outcome="a", entity_id=entity), actor=staff.id)
        await emit(h, org, Contacted(customer_id=bob.id, outcome="b"))
        await emit(h, org, Newsletter())
        mine = (await h.client.get("/api/v1/activities", headers=alice.headers)).json()
        assert [a["description"] for a in mine["items"]] == ["Call outcome: a."]
        assert mine["items"][0]["actor_id"] == str(staff.id)
        assert mine["items"][0]["type"] == "Contact"
        everything = (await h.client.get("/api/v1/activities", headers=staff.headers)).json()
        assert everything["total"] == 3
        by_entity = (await h.client.get(f"/api/v1/activities?entity_id={entity}", headers=staff.headers)).json()
        assert by_entity["total"] == 1
        news = (await h.client.get("/api/v1/notifications?event=crm.newsletter_sent", headers=bob.headers)).json()
        assert news["total"] == 1


async def test_dashboard_per_role_with_plugin_widgets(crm_db, shop, marcus_app_factory):
    org, admin, alice = shop["org"], shop["admin"], shop["alice"]
    async with marcus_app_factory(crm_db, worker=False) as h:
        await emit(h, org, Contacted(customer_id=alice.id, outcome="dash"))
        staff_view = (await h.client.get("/api/v1/dashboard", headers=admin.headers)).json()
        customer_view = (await h.client.get("/api/v1/dashboard", headers=alice.headers)).json()
    assert staff_view["stats"]["contacts"] == 7
    assert staff_view["stats"]["users"] >= 4
    assert customer_view["stats"]["contacts"] == 1
    assert "users" not in customer_view["stats"]
    assert customer_view["stats"]["unread_notifications"] == 1
    assert [w["name"] for w in customer_view["widgets"]] == ["crm.contacts", "crm.broken"]
    assert customer_view["widgets"][1]["data"] == {}
    assert customer_view["recent_notifications"][0]["message"] == "Call outcome: dash."
    assert customer_view["recent_activities"][0]["type"] == "Contact"


async def test_another_tenant_sees_nothing(crm_db, shop, tenant_factory, user_factory, marcus_app_factory):
    org, alice = shop["org"], shop["alice"]
    other = await tenant_factory(database=crm_db, plugins=["crm"])
    intruder = await user_factory(other, database=crm_db, role="admin")
    async with marcus_app_factory(crm_db, worker=False) as h:
        await emit(h, org, Contacted(customer_id=alice.id, outcome="private"))
        assert (await h.client.get("/api/v1/notifications", headers=intruder.headers)).json()["total"] == 0
        assert (await h.client.get("/api/v1/activities", headers=intruder.headers)).json()["total"] == 0
        cross = await h.client.get("/api/v1/notifications", headers={**intruder.headers, "X-Tenant": org.slug})
        assert cross.status_code == 401


async def test_email_preference_queues_an_escaped_mail(crm_db, shop, marcus_app_factory, mailbox):
    org, admin, alice = shop["org"], shop["admin"], shop["alice"]
    async with marcus_app_factory(crm_db, worker=False) as h:
        on = await h.client.put(
            "/api/v1/notifications/preferences/crm.contacted",
            headers=admin.headers,
            json={"in_app": True, "email": True},
        )
        assert on.json() == {"event": "crm.contacted", "in_app": True, "email": True}
        await emit(h, org, Contacted(customer_id=alice.id, outcome="<b>called</b>"))
    mail = await mailbox.on(crm_db).last(alice.email)
    assert "New notification" in mail.subject
    assert "Call outcome: <b>called</b>." in mail.text
    assert "&lt;b&gt;called&lt;/b&gt;" in mail.html
