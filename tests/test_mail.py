"""Mail: templates with escaping and the tenant's name, the outbox written in the caller's
transaction, the sender (dev mailbox and SMTP), retries with backoff, failures visible to
admins and retried on demand, the dev-only mailbox route."""

from __future__ import annotations

import asyncio
import email
import uuid
from contextlib import suppress
from datetime import UTC, datetime, timedelta
from email import policy

import pytest
from sqlalchemy import select, text

from marcus.mail.models import FAILED, PENDING, SENT, MailMessage
from marcus.mail.sender import MailSender
from marcus.mail.service import render, send_mail
from marcus.mail.transports import DevMailbox, Outgoing, SmtpTransport


class Tenant:
    def __init__(self, org) -> None:
        self.id, self.name = org.id, org.name


class Broken:
    """A transport that always fails."""

    def __init__(self) -> None:
        self.calls = 0

    async def deliver(self, outgoing: Outgoing) -> None:
        self.calls += 1
        raise ConnectionRefusedError("smtp down")


async def queue(database, org, to: str = "ann@example.com", code: str = "123456") -> uuid.UUID:
    async with database.db.tenant_transaction(org.id) as session:
        return await send_mail(
            session,
            to=to,
            template="verification_code",
            context={"code": code, "first_name": "Ann", "expires_minutes": 10},
            tenant=Tenant(org),
        )


async def row(database, message_id: uuid.UUID) -> MailMessage:
    async with database.db.platform_session() as session:
        found = await session.scalar(select(MailMessage).where(MailMessage.id == message_id))
    assert found is not None
    return found


def test_templates_escape_html_and_name_the_tenant_in_the_subject():
    subject, text_body, html = render(
        "login_code",
        {"code": "654321", "first_name": "<b>Eve</b>", "expires_minutes": 10},
        tenant_name="Clinic <x>\r\nBcc: a@b",
    )
    assert subject.startswith("Clinic <x> Bcc: a@b:")
    assert "\n" not in subject
    assert "\r" not in subject
    assert "&lt;b&gt;Eve&lt;/b&gt;" in html
    assert "<b>Eve</b>" not in html
    assert "<b>Eve</b>" in text_body, "plain text is not HTML-escaped"
    assert "654321" in text_body
    assert "654321" in html
    with pytest.raises(Exception, match="Unknown mail template"):
        render("nope", {}, tenant_name="x")


async def test_mail_is_queued_only_when_the_transaction_commits(marcus_database, tenant_factory, mailbox):
    org = await tenant_factory()
    async with marcus_database.db.tenant_session(org.id) as session:
        await send_mail(
            session,
            to="gone@example.com",
            template="password_reset",
            context={"code": "1", "first_name": "A", "expires_minutes": 10},
            tenant=Tenant(org),
        )
        await session.rollback()
    assert await mailbox.messages("gone@example.com") == []
    await queue(marcus_database, org, to="kept@example.com")
    kept = await mailbox.last("kept@example.com")
    assert kept.status == PENDING
    assert org.name in kept.subject


async def test_sender_delivers_to_the_dev_mailbox_after_commit(marcus_database, tenant_factory, tmp_path):
    org = await tenant_factory()
    settings = marcus_database.settings.model_copy(update={"data_dir": tmp_path, "mail_poll_interval": 60})
    sender = MailSender(marcus_database.db, settings, DevMailbox(tmp_path / "mail"))
    await sender.start()
    try:
        message_id = await queue(marcus_database, org, to="dev@example.com", code="246810")
        for _ in range(100):  # woken by the commit, long before the 60 s poll
            if (await row(marcus_database, message_id)).status == SENT:
                break
            await asyncio.sleep(0.05)
    finally:
        await sender.stop()
    sent = await row(marcus_database, message_id)
    assert sent.status == SENT
    assert sent.sent_at is not None
    assert sent.attempts == 1
    files = list((tmp_path / "mail" / str(org.id)).glob("*.eml"))
    assert len(files) == 1
    parsed = email.message_from_bytes(files[0].read_bytes(), policy=policy.default)
    assert parsed["To"] == "dev@example.com"
    assert "246810" in parsed.get_body(preferencelist=("plain",)).get_content()
    assert parsed.get_body(preferencelist=("html",)) is not None


async def test_failures_back_off_then_fail_and_admins_can_see_and_retry(
    marcus_database, tenant_factory, user_factory, marcus_app_factory
):
    org = await tenant_factory()
    settings = marcus_database.settings.model_copy(update={"mail_max_attempts": 3, "mail_retry_base": 30})
    broken = Broken()
    sender = MailSender(marcus_database.db, settings, broken)
    message_id = await queue(marcus_database, org, to="nowhere@example.com")
    assert await sender.drain() >= 1
    first = await row(marcus_database, message_id)
    assert (first.status, first.attempts) == (PENDING, 1)
    assert "smtp down" in first.last_error
    assert timedelta(seconds=25) < first.next_attempt_at - datetime.now(UTC) <= timedelta(seconds=30)
    await sender.drain()
    assert (await row(marcus_database, message_id)).attempts == 1, "not due yet: left alone"
    for expected_attempts, delay in ((2, 60), (3, None)):
        async with marcus_database.db.platform_session() as session, session.begin():
            await session.execute(
                text("UPDATE mail_messages SET next_attempt_at = now() WHERE id = :i"), {"i": message_id}
            )
        await sender.drain()
        current = await row(marcus_database, message_id)
        assert current.attempts == expected_attempts
        if delay:
            assert (
                timedelta(seconds=delay - 5) < current.next_attempt_at - datetime.now(UTC) <= timedelta(seconds=delay)
            )
    assert current.status == FAILED

    admin, customer = await user_factory(org, role="admin"), await user_factory(org)
    async with marcus_app_factory(marcus_database) as h:
        listed = await h.client.get("/api/v1/mail/messages", params={"status": "failed"}, headers=admin.headers)
        assert listed.status_code == 200, listed.text
        items = listed.json()["items"]
        assert [m["id"] for m in items] == [str(message_id)]
        assert items[0]["attempts"] == 3
        assert "smtp down" in items[0]["last_error"]
        assert not {"body_text", "body_html"} & set(items[0]), "bodies may hold codes"
        assert (await h.client.get("/api/v1/mail/messages", headers=customer.headers)).status_code == 403
        bad = await h.client.get("/api/v1/mail/messages", params={"status": "lost"}, headers=admin.headers)
        assert bad.status_code == 422
        retried = await h.client.post(f"/api/v1/mail/messages/{message_id}/retry", headers=admin.headers)
        assert retried.status_code == 200, retried.text
        assert (retried.json()["status"], retried.json()["attempts"]) == ("pending", 0)
        again = await h.client.post(f"/api/v1/mail/messages/{message_id}/retry", headers=admin.headers)
        assert again.status_code == 422
        assert (
            await h.client.post(f"/api/v1/mail/messages/{uuid.uuid4()}/retry", headers=admin.headers)
        ).status_code == 404


async def test_other_tenants_mail_is_invisible(marcus_database, tenant_factory, user_factory, marcus_app_factory):
    a, b = await tenant_factory(), await tenant_factory()
    await queue(marcus_database, b, to="b-only@example.com")
    admin = await user_factory(a, role="admin")
    async with marcus_app_factory(marcus_database) as h:
        items = (await h.client.get("/api/v1/mail/messages", headers=admin.headers)).json()["items"]
    assert "b-only@example.com" not in {m["recipient"] for m in items}


async def test_dev_mailbox_route_only_in_dev(marcus_database, tenant_factory, marcus_app_factory, tmp_path):
    org = await tenant_factory()
    async with marcus_app_factory(marcus_database, env="dev", data_dir=tmp_path) as h:
        message_id = await queue(marcus_database, org, to="devroute@example.com", code="135790")
        for _ in range(100):
            if (await row(marcus_database, message_id)).status == SENT:
                break
            await asyncio.sleep(0.05)
        listed = await h.client.get("/api/v1/dev/mail", headers={"X-Tenant": org.slug})
        assert listed.status_code == 200
        assert listed.json()[0]["to"] == "devroute@example.com"
        assert "135790" in listed.json()[0]["text"]
    async with marcus_app_factory(marcus_database) as h:
        assert (await h.client.get("/api/v1/dev/mail", headers={"X-Tenant": org.slug})).status_code == 404


async def test_smtp_transport_speaks_smtp(marcus_database):
    received: list[bytes] = []

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"220 fake ESMTP\r\n")
        while line := await reader.readline():
            verb = line[:4].upper()
            if verb == b"DATA":
                writer.write(b"354 go ahead\r\n")
                await writer.drain()
                data = await reader.readuntil(b"\r\n.\r\n")
                received.append(data)
                writer.write(b"250 queued\r\n")
            elif verb == b"QUIT":
                writer.write(b"221 bye\r\n")
                await writer.drain()
                break
            elif verb in (b"EHLO", b"HELO"):
                writer.write(b"250 fake\r\n")
            else:
                writer.write(b"250 ok\r\n")
            await writer.drain()
        writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    settings = marcus_database.settings.model_copy(
        update={
            "smtp_host": "127.0.0.1",
            "smtp_port": port,
            "smtp_starttls": False,
            "smtp_from": "Clinic <noreply@clinic.test>",
        }
    )
    from marcus.mail.transports import build_message, make_transport

    transport = make_transport(settings)
    assert isinstance(transport, SmtpTransport)
    message = build_message(
        settings, id=uuid.uuid4(), to="p@example.com", subject="Hi", text="code 111222", html="<p>x</p>"
    )
    try:
        await transport.deliver(Outgoing(id=uuid.uuid4(), org_id=uuid.uuid4(), message=message))
    finally:
        server.close()
        with suppress(Exception):
            await server.wait_closed()
    assert received
    assert b"code 111222" in received[0]
    refused = SmtpTransport(settings.model_copy(update={"smtp_port": 1}))
    with pytest.raises(OSError):
        await refused.deliver(Outgoing(id=uuid.uuid4(), org_id=uuid.uuid4(), message=message))


async def test_sender_stops_cleanly(marcus_database):
    sender = MailSender(marcus_database.db, marcus_database.settings, Broken())
    await sender.start()
    await asyncio.sleep(0.05)
    await asyncio.wait_for(sender.stop(), timeout=5)
    assert sender._task is None
