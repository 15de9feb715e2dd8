"""The `marcus` command against a real database: migrate, status, tenants, plugins, serve."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid

import httpx
import pytest
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from marcus.cli import app
from marcus.testing.harness import drop_database


@pytest.fixture
def cli_env(marcus_server_url, tmp_path, monkeypatch):
    name = f"marcus_cli_{uuid.uuid4().hex[:10]}"
    url = make_url(marcus_server_url).set(database=name).render_as_string(hide_password=False)
    tenants = tmp_path / "tenants"
    tenants.mkdir()
    (tenants / "default.toml").write_text('slug = "default"\nname = "Default Co"\n[settings]\ntime_zone = "UTC"\n')
    env = {"MARCUS_DATABASE_URL": url, "MARCUS_TENANTS_DIR": str(tenants), "MARCUS_LOG_JSON": "false"}
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    yield env
    drop_database(url)


def run(*args: str):
    return CliRunner().invoke(app, list(args), catch_exceptions=False)


def test_upgrade_status_sync_and_lists(cli_env):
    upgraded = run("db", "upgrade")
    assert upgraded.exit_code == 0, upgraded.output
    assert "Database up to date" in upgraded.output
    status = run("db", "status")
    assert status.exit_code == 0
    assert "applied" in status.output
    assert "PENDING" not in status.output
    assert run("tenants", "sync").output.strip().endswith("created default")
    assert "unchanged default" in run("tenants", "sync").output
    listed = run("tenants", "list")
    assert "default" in listed.output
    assert "Default Co" in listed.output
    listed_plugins = run("plugins", "list").output
    # The test manifest enables nothing: every installed plugin is listed, enabled nowhere.
    assert "services 1.0.0: enabled for no workspace" in listed_plugins
    assert "appointments 1.0.0 (depends on services): enabled for no workspace" in listed_plugins


def test_status_before_upgrade_says_what_to_do(cli_env):
    status = CliRunner().invoke(app, ["db", "status"])
    assert status.exit_code == 1
    assert "does not exist" in status.output
    assert "marcus db upgrade" in status.output


def test_serve_refuses_an_app_role_that_bypasses_rls(cli_env, monkeypatch):
    monkeypatch.setenv("MARCUS_APP_DATABASE_URL", cli_env["MARCUS_DATABASE_URL"])  # a superuser
    result = CliRunner().invoke(app, ["serve", "--port", "1"])
    assert result.exit_code == 1
    assert "refusing to serve" in result.output
    assert "superuser" in result.output


def test_serve_brings_up_a_healthy_app(cli_env):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    process = subprocess.Popen(
        [sys.executable, "-c", "from marcus.cli import main; main()", "serve", "--port", str(port)],
        env={**os.environ, **cli_env},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        status = None
        while time.monotonic() < deadline and status != 200:
            try:
                status = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code
            except httpx.TransportError:
                time.sleep(0.1)
        assert status == 200
        assert httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2).status_code == 200
        docs = httpx.get(f"http://127.0.0.1:{port}/openapi.json", timeout=2).json()
        assert "/readyz" in docs["paths"]
    finally:
        process.send_signal(signal.SIGINT)
        output, _ = process.communicate(timeout=15)
    assert f"http://127.0.0.1:{port}/docs" in output
    assert "Tenant created default" in output
    assert "Workspace 'default' has no owner yet" in output
    assert "marcus users create you@example.com --tenant default --role owner" in output


def test_first_run_failures_are_explained(cli_env, tmp_path, monkeypatch):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        taken = CliRunner().invoke(app, ["serve", "--no-migrate", "--port", str(port)])
    assert taken.exit_code == 1
    assert f"cannot listen on 127.0.0.1:{port}" in taken.output

    unreachable = subprocess.run(
        [sys.executable, "-c", "from marcus.cli import main; main()", "db", "upgrade"],
        env={**os.environ, "MARCUS_DATABASE_URL": "postgresql://someone:secret@127.0.0.1:1/shop"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert unreachable.returncode == 1
    assert "cannot use the database at someone@127.0.0.1:1/shop" in unreachable.stderr
    assert "secret" not in unreachable.stderr
    assert "Traceback" not in unreachable.stderr

    newer = tmp_path / "data"
    (newer / "pg").mkdir(parents=True)
    (newer / "pg" / "PG_VERSION").write_text("99\n")
    monkeypatch.delenv("MARCUS_DATABASE_URL")
    monkeypatch.setenv("MARCUS_DATA_DIR", str(newer))
    refused = CliRunner().invoke(app, ["db", "upgrade"])
    assert refused.exit_code == 1
    assert "created by PostgreSQL 99, newer than the embedded" in refused.output
