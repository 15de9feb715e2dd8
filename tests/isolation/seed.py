"""Seeding for the isolation matrix: one workspace filled with a row in every tenant table,
through the same API its people use, with unique marker strings in its rows.

``FACTORIES`` is the matrix's fixture table: every tenant table (forced RLS, ``organization_id``)
names the seeding step that gives tenant A rows in it. ``test_meta.py`` fails when a tenant
table appears that this table does not name, or when a named step leaves its table empty.

After seeding, ``collect_markers`` reads the workspace back from the database (platform role)
and sorts what it finds into what each audience may see:

* ``all_ids``: the id of every row of the workspace (another workspace may see none of them);
* ``staff``: ids and strings only staff may see (drafts, hidden comments, rules, mail, ...);
* ``private[customer]``: ids and strings of one customer's own rows (appointments, documents,
  invoices, notifications, sessions, profile fields), never shown to another customer.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlparse

from sqlalchemy import text

from marcus.testing import JobRunner, TestUser, relay_for

PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64

# Tenant table -> the seeding step (a method of ``Seeder``) that gives the workspace rows in it.
FACTORIES: dict[str, str] = {
    "activities": "deliver_events",
    "appointments": "book_appointments",
    "appointments_calendar_feeds": "calendar_feed",
    "appointments_counters": "book_appointments",
    "appointments_overrides": "schedule",
    "appointments_rules": "schedule",
    "appointments_slots": "schedule",
    "auth_codes": "password_forgot",
    "auth_refresh_tokens": "people",
    "auth_sessions": "people",
    "blog_comments": "blog",
    "blog_posts": "blog",
    "custom_roles": "custom_role",
    "document_files": "documents",
    "documents": "documents",
    "event_deliveries": "deliver_events",
    "event_outbox": "deliver_events",
    "invoices": "invoices",
    "invoices_counters": "invoices",
    "invoices_lines": "invoices",
    "invoices_payments": "invoices",
    "job_schedules": "run_jobs",
    "mail_messages": "password_forgot",
    "notification_preferences": "notification_preferences",
    "notifications": "notifications",
    "organization_domains": "workspace",
    "organization_plugins": "workspace",
    "rbac_policy_versions": "people",
    "role_assignments": "people",
    "services": "catalogue",
    "services_categories": "catalogue",
    "users": "people",
}

# The steps in the order they run (later steps use what earlier ones made).
STEPS = (
    "workspace",
    "people",
    "catalogue",
    "schedule",
    "book_appointments",
    "calendar_feed",
    "blog",
    "documents",
    "invoices",
    "custom_role",
    "notifications",
    "notification_preferences",
    "password_forgot",
    "deliver_events",
    "run_jobs",
)

# Rows only staff may see, per table. Event ids (``event_outbox``) are not among them: a
# customer's own notifications and activities name the event they came from. (SQL condition on the table aliased ``t``; ``true``: all).
STAFF_ONLY_ROWS: dict[str, str] = {
    "appointments_overrides": "true",
    "appointments_rules": "true",
    "appointments_counters": "true",
    "invoices_counters": "true",
    "auth_codes": "true",
    "auth_refresh_tokens": "true",
    "auth_sessions": "true",
    "custom_roles": "true",
    "job_schedules": "true",
    "mail_messages": "true",
    "organization_domains": "true",
    "organization_plugins": "true",
    "rbac_policy_versions": "true",
    "role_assignments": "true",
    "blog_posts": "t.status <> 'published'",
    "blog_comments": "t.hidden_at IS NOT NULL",
    "services": "t.status <> 'active'",
    "invoices": "t.status = 'draft'",
    "invoices_lines": "t.invoice_id IN (SELECT id FROM invoices i WHERE i.status = 'draft')",
    "activities": "t.user_id IS NULL",
    "notifications": "t.user_id IS NULL",
}

# A customer's own rows (``:me`` is the customer's id): never shown to another customer.
PRIVATE_ROWS: dict[str, str] = {
    "appointments": "t.customer_id = :me",
    "appointments_calendar_feeds": "t.customer_id = :me",
    "documents": "t.owner_id = :me",
    "document_files": "t.document_id IN (SELECT id FROM documents d WHERE d.owner_id = :me)",
    "invoices": "t.customer_id = :me",
    "invoices_lines": "t.invoice_id IN (SELECT id FROM invoices i WHERE i.customer_id = :me)",
    "invoices_payments": "t.invoice_id IN (SELECT id FROM invoices i WHERE i.customer_id = :me)",
    "notifications": "t.user_id = :me",
    "activities": "t.user_id = :me",
}


def marker(tag: str, kind: str) -> str:
    """A unique lower-case string to plant in a row and look for in responses."""
    return f"mk{tag}{kind}{secrets.token_hex(4)}"


@dataclass
class Workspace:
    """A seeded workspace: its people, its objects (name -> id or value) and its markers."""

    tag: str
    org: Any
    owner: TestUser
    admin: TestUser
    staff: TestUser
    alice: TestUser
    bob: TestUser
    objects: dict[str, str] = field(default_factory=dict)
    strings: dict[str, set[str]] = field(default_factory=lambda: {"public": set(), "staff": set()})
    all_ids: set[str] = field(default_factory=set)
    staff_only: set[str] = field(default_factory=set)
    private: dict[str, set[str]] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    table_of: dict[str, str] = field(default_factory=dict)  # id -> its table (for failure messages)

    @property
    def customers(self) -> dict[str, TestUser]:
        return {"alice": self.alice, "bob": self.bob}

    @property
    def tenant(self) -> dict[str, str]:
        """Headers of an anonymous caller of this workspace."""
        return {"X-Tenant": self.org.slug}

    def everything(self) -> set[str]:
        """Every id and marker string of the workspace (what another workspace may never see)."""
        strings = set().union(*self.strings.values())
        return self.all_ids | strings | {str(self.org.id)}


class Seeder:
    """Fills one workspace through the API; each step is named in ``FACTORIES``."""

    def __init__(self, harness: Any, ws: Workspace) -> None:
        self.h = harness
        self.client = harness.client
        self.ws = ws
        self.day = (datetime.now(UTC) + timedelta(days=5)).date()

    def mark(self, audience: str, kind: str) -> str:
        value = marker(self.ws.tag, kind)
        self.ws.strings.setdefault(audience, set()).add(value)
        return value

    async def call(self, user: TestUser | None, method: str, url: str, expect: int = 200, **kwargs: Any) -> Any:
        headers = user.headers if user else self.ws.tenant
        response = await self.client.request(method, url, headers=headers, **kwargs)
        assert response.status_code == expect, f"seeding {method} {url}: {response.status_code} {response.text}"
        return response.json() if response.content and "json" in response.headers.get("content-type", "") else None

    async def run(self) -> None:
        assert set(FACTORIES.values()) <= set(STEPS)
        for step in STEPS:
            if step not in ("workspace", "people"):  # made with the workspace itself (conftest)
                await getattr(self, step)()

    async def profiles(self) -> None:
        for name, user in self.ws.customers.items():
            fields = {f: self.mark(name, f.replace("_", "")) for f in ("phone", "street", "company_name")}
            await self.call(user, "PATCH", "/api/v1/me", json=fields)
            await self.call(user, "PUT", "/api/v1/me/avatar", files={"file": ("me.png", PNG, "image/png")})

    async def catalogue(self) -> None:
        await self.profiles()
        ws, admin = self.ws, self.ws.admin
        category = await self.call(
            admin, "POST", "/api/v1/services/categories", 201, json={"name": self.mark("public", "cat")}
        )
        ws.objects["category_id"] = category["id"]
        body = {"price": "120.00", "duration_minutes": 60, "category_id": category["id"]}
        name, about = self.mark("public", "svc"), self.mark("public", "svcabout")
        service = await self.call(
            admin, "POST", "/api/v1/services", 201, json=body | {"name": name, "description": about}
        )
        ws.objects |= {"service_id": service["id"], "service_slug": service["slug"], "service_name": name}
        hidden = {"name": self.mark("staff", "svc"), "status": "inactive"}
        inactive = await self.call(admin, "POST", "/api/v1/services", 201, json=body | hidden)
        ws.objects |= {"inactive_service_id": inactive["id"], "inactive_service_slug": inactive["slug"]}
        image = {"file": ("service.png", PNG, "image/png")}
        await self.call(admin, "PUT", f"/api/v1/services/{service['id']}/image", files=image)
        await self.call(admin, "PUT", "/api/v1/settings/logo", files={"file": ("logo.png", PNG, "image/png")})

    async def schedule(self) -> None:
        ws, admin, service = self.ws, self.ws.admin, self.ws.objects["service_id"]
        rule = {"service_id": service, "weekday": 0, "start_time": "09:00", "end_time": "12:00", "slot_minutes": 60}
        ws.objects["rule_id"] = (await self.call(admin, "POST", "/api/v1/appointments/rules", 201, json=rule))["id"]
        closed = {"service_id": service, "day": (self.day + timedelta(days=30)).isoformat(), "kind": "closed"}
        override = await self.call(admin, "POST", "/api/v1/appointments/overrides", 201, json=closed)
        ws.objects["override_id"] = override["id"]
        day = {
            "service_id": service,
            "date": self.day.isoformat(),
            "start_time": "09:00",
            "end_time": "15:00",
            "duration_minutes": 60,
        }
        await self.call(admin, "POST", "/api/v1/appointments/slots/generate-day", 201, json=day)
        url = f"/api/v1/appointments/slots?service_id={service}&date={self.day.isoformat()}"
        slots = [s["id"] for s in await self.call(ws.alice, "GET", url)]
        assert len(slots) == 6, slots
        ws.objects |= {"alice_slot": slots[0], "bob_slot": slots[1], "slot_id": slots[2], "spare_slot": slots[3]}
        ws.objects["slot_day"] = self.day.isoformat()

    async def book_appointments(self) -> None:
        for name, user in self.ws.customers.items():
            body = {
                "slot_id": self.ws.objects[f"{name}_slot"],
                "meeting_type": "Virtual",
                "note": self.mark(name, "note"),
            }
            booked = await self.call(user, "POST", "/api/v1/appointments", 201, json=body)
            self.ws.objects[f"{name}_appointment"] = booked["id"]
            url = f"/api/v1/appointments/{booked['id']}/attachments"
            files = [("files", (f"{self.mark(name, 'att')}.pdf", PDF, "application/pdf"))]
            attached = await self.call(user, "POST", url, 201, files=files)
            attachments = attached if isinstance(attached, list) else attached.get("attachments", attached)
            self.ws.objects[f"{name}_attachment"] = attachments[0]["id"]

    async def calendar_feed(self) -> None:
        feed = await self.call(self.ws.alice, "POST", "/api/v1/appointments/calendar-feed", 201)
        token = urlparse(feed["url"]).path.rsplit("/", 1)[-1].removesuffix(".ics")
        self.ws.objects["calendar_token"] = token
        self.ws.strings.setdefault("alice", set()).add(token)

    async def blog(self) -> None:
        ws, admin = self.ws, self.ws.admin
        public = {"title": self.mark("public", "post"), "content": self.mark("public", "body"), "status": "published"}
        post = await self.call(admin, "POST", "/api/v1/blog/posts", 201, json=public)
        ws.objects |= {"post_id": post["id"], "post_slug": post["slug"]}
        image = {"file": ("post.png", PNG, "image/png")}
        await self.call(admin, "PUT", f"/api/v1/blog/posts/{post['id']}/image", files=image)
        draft = {"title": self.mark("staff", "draft"), "content": self.mark("staff", "draftbody"), "status": "draft"}
        drafted = await self.call(admin, "POST", "/api/v1/blog/posts", 201, json=draft)
        ws.objects |= {"draft_post_id": drafted["id"], "draft_post_slug": drafted["slug"]}
        url = f"/api/v1/blog/posts/{post['id']}/comments"
        said = await self.call(ws.alice, "POST", url, 201, json={"content": self.mark("public", "comment")})
        ws.objects["comment_id"] = said["id"]
        hidden = await self.call(ws.bob, "POST", url, 201, json={"content": self.mark("staff", "hiddencomment")})
        await self.call(admin, "POST", f"/api/v1/blog/comments/{hidden['id']}/hide")
        ws.objects["hidden_comment_id"] = hidden["id"]

    async def documents(self) -> None:
        for name, user in self.ws.customers.items():
            data = {"type": "Compliance", "name": self.mark(name, "doc"), "description": self.mark(name, "docabout")}
            files = [("files", ("scan.pdf", PDF, "application/pdf"))]
            document = await self.call(user, "POST", "/api/v1/documents", 201, data=data, files=files)
            file_id = document["files"][0]["id"]
            self.ws.objects |= {f"{name}_document": document["id"], f"{name}_file": file_id}
        ws = self.ws
        url = f"/api/v1/documents/{ws.objects['alice_document']}/files/{ws.objects['alice_file']}/link"
        link = await self.call(ws.alice, "GET", url)
        ws.objects["file_token"] = urlparse(link["url"]).path.rsplit("/", 1)[-1]

    async def invoices(self) -> None:
        ws, admin = self.ws, self.ws.admin
        for name, user in ws.customers.items():
            line = {"description": self.mark(name, "line"), "quantity": "2", "unit_price": "50.00", "tax_rate": "19"}
            body = {"customer_id": str(user.id), "lines": [line], "notes": self.mark(name, "invnote"), "issue": True}
            invoice = await self.call(admin, "POST", "/api/v1/invoices", 201, json=body)
            ws.objects[f"{name}_invoice"] = invoice["id"]
            url = f"/api/v1/invoices/{invoice['id']}/payments"
            await self.call(admin, "POST", url, 201, json={"amount": "10.00", "reference": self.mark(name, "payref")})
        line = {"description": self.mark("staff", "draftline"), "quantity": "1", "unit_price": "9.00", "tax_rate": "0"}
        body = {"customer_id": str(ws.alice.id), "lines": [line], "notes": self.mark("staff", "draftinv")}
        ws.objects["draft_invoice"] = (await self.call(admin, "POST", "/api/v1/invoices", 201, json=body))["id"]

    async def custom_role(self) -> None:
        name = f"desk{secrets.token_hex(3)}"
        body = {"name": name, "description": self.mark("staff", "role"), "permissions": {}}
        await self.call(self.ws.admin, "POST", "/api/v1/roles", 201, json=body)
        self.ws.objects["role_name"] = name

    async def notifications(self) -> None:
        ws = self.ws
        for name, user in ws.customers.items():
            body = {
                "title": self.mark(name, "notetitle"),
                "message": self.mark(name, "notebody"),
                "user_ids": [str(user.id)],
            }
            await self.call(ws.admin, "POST", "/api/v1/notifications/send", 202, json=body)
        await self.deliver_events()
        listed = await self.call(ws.alice, "GET", "/api/v1/notifications")
        ws.objects["notification_id"] = listed["items"][0]["id"]

    async def notification_preferences(self) -> None:
        preferences = await self.call(self.ws.admin, "GET", "/api/v1/notifications/preferences")
        items = preferences["items"] if isinstance(preferences, dict) else preferences
        event = items[0]["event"]
        self.ws.objects["event"] = event
        url = f"/api/v1/notifications/preferences/{event}"
        await self.call(self.ws.admin, "PUT", url, json={"in_app": True, "email": False})

    async def password_forgot(self) -> None:
        await self.call(None, "POST", "/api/v1/auth/password/forgot", 202, json={"email": self.ws.alice.email})
        await self.deliver_events()

    async def deliver_events(self) -> None:
        while await relay_for(self.h.kernel).run_once():
            pass

    async def run_jobs(self) -> None:
        await JobRunner(self.h.kernel).run_due()


async def collect_markers(database: Any, ws: Workspace, tables: list[str]) -> None:
    """Read the workspace's rows back and sort their ids (and the seeded strings) by audience."""
    async with database.db.platform_session() as session:
        for table in tables:
            rows = await session.execute(
                text(f"SELECT id::text FROM {table} WHERE organization_id = :o"), {"o": ws.org.id}
            )
            ids = {r[0] for r in rows}
            ws.all_ids |= ids
            ws.table_of |= dict.fromkeys(ids, table)
            ws.counts[table] = len(ids)
            if table in STAFF_ONLY_ROWS:
                ws.staff_only |= await _ids(session, table, STAFF_ONLY_ROWS[table], ws.org.id, None)
        for name, user in ws.customers.items():
            found = {user.email} | ws.strings.get(name, set())
            for table, condition in PRIVATE_ROWS.items():
                found |= await _ids(session, table, condition, ws.org.id, user.id)
            ws.private[name] = found
    ws.staff_only |= ws.strings["staff"] | {u.email for u in (ws.owner, ws.admin, ws.staff)}


async def _ids(session: Any, table: str, condition: str, org: uuid.UUID, me: uuid.UUID | None) -> set[str]:
    sql = f"SELECT t.id::text FROM {table} t WHERE t.organization_id = :o AND ({condition})"
    params: Mapping[str, Any] = {"o": org, "me": me} if me else {"o": org}
    return {r[0] for r in await session.execute(text(sql), params)}


async def tenant_tables(database: Any) -> list[str]:
    """Every table with ``organization_id`` under forced row-level security (the catalog's rule)."""
    query = text("""
        SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') AND c.relforcerowsecurity
          AND EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid
                      AND a.attname = 'organization_id' AND NOT a.attisdropped)
        ORDER BY 1""")
    async with database.db.platform_session() as session:
        return [r[0] for r in await session.execute(query)]


# Columns a request may legitimately touch in rows of the workspace it does not change
# (the caller's own session bookkeeping).
VOLATILE = {"auth_sessions": ("last_used_at",), "users": ("last_login_at",)}


async def digest(database: Any, org_id: uuid.UUID, tables: list[str]) -> dict[str, str]:
    """A checksum of every tenant table's rows of one workspace (to prove a request changed nothing)."""
    parts = []
    for table in tables:
        drop = "".join(f" - '{c}'" for c in VOLATILE.get(table, ()))
        parts.append(
            f"SELECT '{table}', md5(coalesce(string_agg((to_jsonb(t){drop})::text, '|' ORDER BY t.id), '')) "
            f"FROM {table} t WHERE t.organization_id = :o"
        )
    async with database.db.platform_session() as session:
        rows = await session.execute(text(" UNION ALL ".join(parts)), {"o": org_id})
        return {r[0]: r[1] for r in rows}
