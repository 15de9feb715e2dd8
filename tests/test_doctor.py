"""`marcus doctor` passes on a healthy deployment and names what is wrong on a broken one."""

from __future__ import annotations

import uuid

import psycopg
import pytest
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from marcus.cli import app
from marcus.db import migrate
from marcus.db.roles import libpq_url
from marcus.plugins import load_plugins
from marcus.testing.harness import drop_database
from marcus.testing.harness import test_settings as settings_for


@pytest.fixture
def deployment(marcus_server_url, monkeypatch):
    """A migrated database with app/platform roles of its own (so breaking them harms no one)."""
    suffix = uuid.uuid4().hex[:8]
    url = make_url(marcus_server_url).set(database=f"marcus_doctor_{suffix}").render_as_string(hide_password=False)
    roles = {"MARCUS_DB_APP_ROLE": f"marcus_app_{suffix}", "MARCUS_DB_PLATFORM_ROLE": f"marcus_platform_{suffix}"}
    settings = settings_for(
        url, db_app_role=roles["MARCUS_DB_APP_ROLE"], db_platform_role=roles["MARCUS_DB_PLATFORM_ROLE"]
    )
    migrate.upgrade(url, settings, load_plugins().migrations)  # what `marcus doctor` expects
    for key, value in {"MARCUS_DATABASE_URL": url, **roles}.items():
        monkeypatch.setenv(key, value)
    yield url, roles
    drop_database(url)
    maintenance = make_url(url).set(database="postgres").render_as_string(hide_password=False)
    with psycopg.connect(libpq_url(maintenance), autocommit=True) as conn:
        for role in roles.values():
            conn.execute(f'DROP ROLE IF EXISTS "{role}"')


def doctor():
    return CliRunner().invoke(app, ["doctor"], catch_exceptions=False)


def admin(url: str, statement: str) -> None:
    with psycopg.connect(libpq_url(url), autocommit=True) as conn:
        conn.execute(statement)


def test_doctor_passes_on_a_healthy_deployment(deployment):
    result = doctor()
    assert result.exit_code == 0, result.output
    assert "FAIL" not in result.output
    assert "OK    row-level security" in result.output
    assert "WARN  secrets" in result.output  # the dev placeholder: a warning, not a failure, outside prod


def test_doctor_fails_when_the_app_role_bypasses_rls(deployment):
    url, roles = deployment
    admin(url, f'ALTER ROLE "{roles["MARCUS_DB_APP_ROLE"]}" BYPASSRLS')
    result = doctor()
    assert result.exit_code == 1
    assert f"FAIL  app role: the app role '{roles['MARCUS_DB_APP_ROLE']}' has BYPASSRLS" in result.output


def test_doctor_fails_when_a_table_loses_forced_rls(deployment):
    url, _ = deployment
    admin(url, "ALTER TABLE users NO FORCE ROW LEVEL SECURITY")
    result = doctor()
    assert result.exit_code == 1
    assert "FAIL  row-level security: table users lacks FORCE" in result.output


def test_doctor_fails_on_placeholder_secrets_in_production(deployment, monkeypatch):
    monkeypatch.setenv("MARCUS_ENV", "prod")
    monkeypatch.setenv("MARCUS_SECRET_KEY", "x" * 40)
    monkeypatch.setenv("MARCUS_SMTP_HOST", "smtp.invalid")
    assert doctor().exit_code == 0
    monkeypatch.delenv("MARCUS_SMTP_HOST")
    result = doctor()
    assert result.exit_code == 1
    assert "FAIL  mail" in result.output


def test_doctor_warns_when_nobody_drains_the_outboxes(deployment):
    """Long-overdue events mean no worker runs (``serve --no-worker`` without ``marcus worker``):
    a warning naming the fix, not a failure; events given up are reported too."""
    url, _ = deployment
    assert "OK    background work" in doctor().output
    admin(url, "INSERT INTO organizations (id, slug, name) VALUES (gen_random_uuid(), 'quiet', 'Quiet')")
    org = "(SELECT id FROM organizations WHERE slug = 'quiet')"
    admin(
        url,
        "INSERT INTO event_outbox (organization_id, id, name, payload, status, next_attempt_at)"
        f" VALUES ({org}, gen_random_uuid(), 'x.happened', '{{}}', 'failed', now())",
    )
    failed = doctor()
    assert failed.exit_code == 0, failed.output
    assert "WARN  background work: 1 event(s) and 0 mail(s) failed for good" in failed.output
    admin(
        url,
        "INSERT INTO event_outbox (organization_id, id, name, payload, status, next_attempt_at)"
        f" VALUES ({org}, gen_random_uuid(), 'x.happened', '{{}}', 'pending', now() - interval '42 minutes')",
    )
    overdue = doctor()
    assert overdue.exit_code == 0, overdue.output
    assert (
        "WARN  background work: 1 event(s) and 0 mail(s) overdue by more than 5 min (oldest 42 min)" in overdue.output
    )
    assert "run `marcus worker`" in overdue.output
