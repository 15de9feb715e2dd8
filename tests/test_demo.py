"""``marcus demo``: sample data in a workspace, logins that work through the API, idempotence,
refusal where there is real data, ``--tenant``; and the newcomer's path from a fresh copy of
the repository: the README's first command, then ``marcus demo``, then the printed logins."""

from __future__ import annotations

import asyncio
import hashlib
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from marcus.cli import app as cli
from marcus.demo import ADMIN_EMAIL, CUSTOMER_EMAIL, run_demo
from marcus.errors import Conflict
from marcus.testing import OrganizationFactory
from marcus.testing.harness import create_tenant
from marcus.testing.processes import process_env
from marcus.testing.server import free_port

PLUGINS = ["services", "appointments", "documents", "invoices", "blog"]
ROOT = Path(__file__).resolve().parents[1]
CODE = re.compile(r"^\s+(\d{6})\s*$", re.MULTILINE)
READY_SECONDS = 180.0
LOGIN = re.compile(r"^\s+(admin|customer)\s+(\S+@\S+)\s+(\S+)$", re.MULTILINE)


async def workspace(tenant_factory, **settings):
    org = OrganizationFactory.build()
    org.settings = {**org.settings, **settings}
    return await tenant_factory(plugins=PLUGINS, organization=org)


async def sign_in(client, slug: str, email: str, password: str, mailbox=None, org_id=None) -> dict[str, str]:
    """Headers of a signed-in user, through the API (with the emailed code when the workspace asks)."""
    headers = {"X-Tenant": slug}
    answer = await client.post("/api/v1/auth/login", json={"email": email, "password": password}, headers=headers)
    if answer.status_code == 202:
        code = await mailbox.last_code(email, org_id=org_id)
        body = {"email": email, "code": code}
        answer = await client.post("/api/v1/auth/login/verify", json=body, headers=headers)
    assert answer.status_code == 200, answer.text
    return {**headers, "Authorization": f"Bearer {answer.json()['access_token']}"}


async def totals(client, headers) -> dict[str, int]:
    """How many of each demo thing the signed-in user sees."""
    paths = {
        "services": "/api/v1/services",
        "appointments": "/api/v1/appointments",
        "documents": "/api/v1/documents",
        "invoices": "/api/v1/invoices",
        "posts": "/api/v1/blog/posts",
        "notifications": "/api/v1/notifications",
    }
    seen = {}
    for name, path in paths.items():
        answer = await client.get(path, headers=headers)
        assert answer.status_code == 200, (path, answer.text)
        seen[name] = answer.json()["total"]
    return seen


async def test_demo_fills_a_fresh_workspace_and_its_logins_work(
    marcus_database, tenant_factory, marcus_app_factory, mailbox
):
    org = await workspace(tenant_factory, login_otp=True)
    async with marcus_app_factory(marcus_database, worker=False) as h:
        report = await run_demo(h.kernel, slug=org.slug)
        admin, customer = report.logins
        assert (admin.email, customer.email) == (ADMIN_EMAIL, CUSTOMER_EMAIL)
        created = dict(report.created)
        assert set(created) == {"accounts", *PLUGINS}
        assert all(created.values()), created

        as_customer = await sign_in(h.client, org.slug, customer.email, customer.password, mailbox, org.id)
        seen = await totals(h.client, as_customer)
        assert seen["services"] == 3
        assert seen["posts"] == 3
        assert seen["appointments"] == 3
        assert seen["documents"] == 2
        assert seen["invoices"] == 1
        assert seen["notifications"] >= 3  # booked, approved document, invoice issued ...
        mine = (await h.client.get("/api/v1/appointments", headers=as_customer)).json()["items"]
        assert sorted(a["status"] for a in mine) == ["Completed", "Upcoming", "Upcoming"]
        services = (await h.client.get("/api/v1/services", headers=as_customer)).json()["items"]
        strategy = next(s for s in services if s["slug"] == "strategy-session")
        assert strategy["price"] == "120.00"
        query = {"service_id": strategy["id"], "available": "true"}
        slots = await h.client.get("/api/v1/appointments/slots", headers=as_customer, params=query)
        assert slots.status_code == 200
        assert len(slots.json()) >= 40

        as_admin = await sign_in(h.client, org.slug, admin.email, admin.password, mailbox, org.id)
        assert (await h.client.get("/api/v1/dashboard", headers=as_admin)).status_code == 200
        users = (await h.client.get("/api/v1/users", headers=as_admin)).json()
        assert {u["email"] for u in users["items"]} == {ADMIN_EMAIL, CUSTOMER_EMAIL}
        documents = (await h.client.get("/api/v1/documents", headers=as_admin)).json()["items"]
        welcome = next(d for d in documents if d["name"] == "Welcome pack")
        assert welcome["status"] == "Approved"
        link = await h.client.get(
            f"/api/v1/documents/{welcome['id']}/files/{welcome['files'][0]['id']}/link", headers=as_admin
        )
        pdf = await h.client.get(link.json()["url"], headers={"X-Tenant": org.slug})
        assert pdf.status_code == 200
        assert pdf.content.startswith(b"%PDF")


async def test_a_second_run_creates_nothing_and_prints_the_same_logins(
    marcus_database, tenant_factory, marcus_app_factory
):
    org = await workspace(tenant_factory)
    async with marcus_app_factory(marcus_database, worker=False) as h:
        first = await run_demo(h.kernel, slug=org.slug)
        headers = await sign_in(h.client, org.slug, first.logins[1].email, first.logins[1].password)
        before = await totals(h.client, headers)
        again = await run_demo(h.kernel, slug=org.slug)
        assert not again.created_anything, again.created
        assert again.logins == first.logins
        assert await totals(h.client, headers) == before


async def test_a_demo_password_changed_by_hand_is_set_back(marcus_database, tenant_factory, marcus_app_factory):
    org = await workspace(tenant_factory)
    async with marcus_app_factory(marcus_database, worker=False) as h:
        admin = (await run_demo(h.kernel, slug=org.slug)).logins[0]
        headers = await sign_in(h.client, org.slug, admin.email, admin.password)
        body = {"current_password": admin.password, "new_password": "my-own-secret-now"}
        changed = await h.client.post("/api/v1/auth/password/change", json=body, headers=headers)
        assert changed.status_code == 204, changed.text
        again = await run_demo(h.kernel, slug=org.slug)
        assert dict(again.created)["accounts"] == [f"password of {admin.email} set to the demo one"]
        await sign_in(h.client, org.slug, admin.email, admin.password)


async def test_a_workspace_with_real_users_is_refused_unless_forced(
    marcus_database, tenant_factory, user_factory, marcus_app_factory
):
    org = await workspace(tenant_factory)
    await user_factory(org, role="owner", email="owner@business.example.com")
    async with marcus_app_factory(marcus_database, worker=False) as h:
        with pytest.raises(Conflict, match="has real data.*owner@business.example.com.*--force"):
            await run_demo(h.kernel, slug=org.slug)
        assert (await h.client.get("/api/v1/services", headers={"X-Tenant": org.slug})).json()["total"] == 0
        forced = await run_demo(h.kernel, slug=org.slug, force=True)
        assert dict(forced.created)["services"]


def test_the_command_fills_the_workspace_named_by_tenant(marcus_database, tmp_path, monkeypatch):
    """``marcus demo --tenant SLUG`` prints the logins and the workspace's own URLs."""

    org = asyncio.run(create_tenant(marcus_database, plugins=PLUGINS))
    tenants = tmp_path / "tenants"
    tenants.mkdir()  # no manifests: the shared test database keeps its workspaces as they are
    env = process_env(marcus_database, MARCUS_TENANTS_DIR=str(tenants), MARCUS_PORT="8123")
    for key, value in env.items():
        if key.startswith("MARCUS_"):
            monkeypatch.setenv(key, value)
    result = CliRunner().invoke(cli, ["demo", "--tenant", org.slug])
    assert result.exit_code == 0, result.output
    logins = {role: (email, password) for role, email, password in LOGIN.findall(result.stdout)}
    assert logins["admin"][0] == ADMIN_EMAIL
    assert logins["customer"][0] == CUSTOMER_EMAIL
    assert f"http://{org.slug}.localhost:8123/dashboard" in result.stdout
    again = CliRunner().invoke(cli, ["demo", "--tenant", org.slug])
    assert again.exit_code == 0
    assert "nothing new" in again.stdout
    assert {r: (e, p) for r, e, p in LOGIN.findall(again.stdout)} == logins
    missing = CliRunner().invoke(cli, ["demo", "--tenant", "no-such-workspace"])
    assert missing.exit_code == 1
    assert "no-such-workspace" in missing.output


# --- a newcomer's first run --------------------------------------------------------------------


def readme_first_command() -> str:
    """The first line of the README's first shell block, without its comment."""
    readme = (ROOT / "README.md").read_text()
    block = readme[readme.index("```sh\n") + len("```sh\n") :]
    return block.splitlines()[0].split("#", 1)[0].strip()


def fresh_copy(target: Path) -> Path:
    """The repository as a newcomer gets it: a clone when the work tree is clean, else its
    tracked and untracked-but-not-ignored files (nothing from .marcus/, .venv/ or caches)."""
    git = ["git", "-C", str(ROOT)]
    if not subprocess.run([*git, "status", "--porcelain"], capture_output=True, text=True, check=True).stdout.strip():
        subprocess.run(["git", "clone", "-q", str(ROOT), str(target)], check=True)
        return target
    listed = subprocess.run([*git, "ls-files", "-co", "--exclude-standard", "-z"], capture_output=True, check=True)
    for name in filter(None, listed.stdout.decode().split("\0")):
        source = ROOT / name
        if source.is_file():  # not a tracked file deleted in the work tree
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    return target


def reuse_venv(repo: Path) -> None:
    """Give the copy a ``.venv`` with the packages of the one running these tests (no download),
    its own scripts and an editable install of the copy's code, stamped as current for the
    copy's pyproject.toml the way dev.py stamps it after installing."""
    source, venv = ROOT / ".venv", repo / ".venv"
    (venv / "bin").mkdir(parents=True)
    shutil.copy2(source / "pyvenv.cfg", venv / "pyvenv.cfg")
    for item in (source / "bin").iterdir():
        script = item.read_bytes()
        if script.startswith(f"#!{source}/".encode()):  # console scripts name their interpreter
            (venv / "bin" / item.name).write_bytes(script.replace(str(source).encode(), str(venv).encode(), 1))
            (venv / "bin" / item.name).chmod(0o755)
        else:
            (venv / "bin" / item.name).symlink_to(item)
    site = next((source / "lib").glob("python3*/site-packages"))
    own = venv / site.relative_to(source)
    own.mkdir(parents=True)
    for item in site.iterdir():
        if item.name.startswith("_editable_impl_marcus"):  # the paths of the editable install
            (own / item.name).write_text(item.read_text().replace(str(ROOT), str(repo)))
        else:
            (own / item.name).symlink_to(item)
    (venv / ".marcus-installed").write_text(hashlib.sha256((repo / "pyproject.toml").read_bytes()).hexdigest())


def wait_ready(url: str, server: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + READY_SECONDS
    while time.monotonic() < deadline:
        assert server.poll() is None, f"the server exited ({server.returncode}):\n{log.read_text()[-3000:]}"
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.3)
    raise AssertionError(f"not ready after {READY_SECONDS}s:\n{log.read_text()[-3000:]}")


def newest_mail(api: httpx.Client, email: str) -> dict[str, str]:
    """The newest message to ``email`` in the dev mailbox (the worker sends mail right after the commit)."""
    deadline = time.monotonic() + READY_SECONDS
    while time.monotonic() < deadline:
        if mails := [m for m in api.get("/api/v1/dev/mail").json() if email in m["to"]]:
            return mails[0]
        time.sleep(0.2)
    raise AssertionError(f"no mail to {email} in the dev mailbox")


def sign_in_with_emailed_code(api: httpx.Client, email: str, password: str) -> dict[str, str]:
    """Password, then (the default workspace asks for it) the code from the dev mailbox."""
    answer = api.post("/api/v1/auth/login", json={"email": email, "password": password})
    if answer.status_code == 202:
        code = CODE.search(newest_mail(api, email)["text"])
        assert code
        answer = api.post("/api/v1/auth/login/verify", json={"email": email, "code": code.group(1)})
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


@pytest.fixture
def newcomer_dir() -> Iterator[Path]:
    """A folder outside pytest's private temp root: the embedded PostgreSQL runs as its own
    system user, which must reach its binaries in the copy's .venv and its data directory."""
    folder = Path(tempfile.mkdtemp(prefix="marcus-newcomer-"))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def test_a_newcomer_runs_the_readme_command_then_the_demo_and_signs_in(newcomer_dir):
    tmp_path = newcomer_dir
    command = readme_first_command()
    assert command == "python3 dev.py run"
    repo = fresh_copy(tmp_path / "marcus")
    reuse_venv(repo)
    data, port, log = tmp_path / "data", free_port(), tmp_path / "serve.log"
    data.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("MARCUS_")}
    env |= {"MARCUS_DATA_DIR": str(data), "MARCUS_PORT": str(port)}  # both in the README's table
    with log.open("wb") as out:
        server = subprocess.Popen(
            command, shell=True, cwd=repo, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        wait_ready(f"http://127.0.0.1:{port}/readyz", server, log)
        demo = subprocess.run(
            [str(repo / ".venv" / "bin" / "marcus"), "demo"],
            cwd=repo,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert demo.returncode == 0, demo.stdout + demo.stderr
        logins = {role: (email, password) for role, email, password in LOGIN.findall(demo.stdout)}
        assert f"http://127.0.0.1:{port}/docs" in demo.stdout
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as api:
            customer = sign_in_with_emailed_code(api, *logins["customer"])
            mine = api.get("/api/v1/appointments", headers=customer).json()
            assert sorted(a["status"] for a in mine["items"]) == ["Completed", "Upcoming", "Upcoming"]
            assert api.get("/api/v1/invoices", headers=customer).json()["total"] == 1
            assert api.get("/api/v1/documents", headers=customer).json()["total"] == 2
            assert api.get("/api/v1/notifications", headers=customer).json()["total"] >= 3
            admin = sign_in_with_emailed_code(api, *logins["admin"])
            assert api.get("/api/v1/services", headers=admin).json()["total"] == 3
            assert api.get("/api/v1/blog/posts", headers=admin).json()["total"] == 3
            assert api.get("/api/v1/dashboard", headers=admin).status_code == 200
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
