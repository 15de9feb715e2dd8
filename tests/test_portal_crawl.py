"""Every link the portal shows works, for every visitor: a breadth-first crawl of a demo
workspace as an anonymous visitor, the demo customer, a customer with nothing of their own, a
staff member and the demo admin. Each page shown answers (no 5xx, no 403/404 for a link the
page offered), is well formed (one ``<h1>``, a title, a language, unique ids, CSRF in every POST
form), downloads carry their content type, and no customer's crawl shows another's records."""

from __future__ import annotations

import mimetypes
import re
import time
from collections import deque
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit

import httpx
import pytest
from sqlalchemy import func, select

from marcus.demo import CUSTOMER_EMAIL, run_demo
from marcus.events.outbox import OutboxEvent
from marcus.tenancy.models import Organization
from marcus.testing import OrganizationFactory, PortalClient, create_user, portal_client
from marcus.testing.harness import Harness, TestDatabase, create_tenant, running_app

PLUGINS = ["services", "appointments", "documents", "invoices", "blog"]
ROLES = ["anonymous", "customer", "second-customer", "staff", "admin"]
MAX_PAGES = 400  # per visitor
SAMPLES = 3  # URLs fetched per pattern (URLs differing only by an id, a number or a date)
MAX_HOPS = 5
SKIPPED = ("/logout",)  # never followed, even if some page offered it as a link
ID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.I)
NUMBERISH = re.compile(r"^(\d+|\d{4}-\d{2}(-\d{2})?(T[\d:.]+Z?)?|[A-Z]{2,5}-\d{4}-\d+)$")
DOWNLOADS = {".pdf": "application/pdf", "/pdf": "application/pdf", ".ics": "text/calendar", ".csv": "text/csv"}
UUIDS = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.I)


# --- reading a page ------------------------------------------------------------------------------


@dataclass
class Form:
    """A form of a page: how it is sent, where, and whether it carries the CSRF token."""

    method: str
    action: str
    csrf: bool = False


class Page(HTMLParser):
    """What the crawl needs of an HTML page: links, resources, headings, ids, forms."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []
        self.resources: list[str] = []
        self.ids: list[str] = []
        self.forms: list[Form] = []
        self.h1 = 0
        self.lang: str | None = None
        self.title = ""
        self._in_title = False
        self._form: Form | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if "id" in a:
            self.ids.append(a["id"])
        if tag == "html":
            self.lang = a.get("lang")
        elif tag == "title":
            self._in_title = True
        elif tag == "h1":
            self.h1 += 1
        elif tag == "a" and "href" in a:
            self.links.append(a["href"])
        elif (tag == "link" and "href" in a) or (tag in {"script", "img"} and "src" in a):
            self.resources.append(a.get("href") or a.get("src") or "")
        elif tag == "form":
            self._form = Form(method=(a.get("method") or "get").lower(), action=a.get("action", ""))
            self.forms.append(self._form)
        elif tag == "input" and a.get("name") == "csrf_token" and a.get("type") == "hidden" and self._form:
            self._form.csrf = bool(a.get("value"))

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False
        elif tag == "form":
            self._form = None

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data


def read_page(html: str) -> Page:
    """``html`` parsed."""
    page = Page()
    page.feed(html)
    page.close()
    return page


def page_problems(page: Page) -> list[str]:
    """What is wrong with a page's structure (empty when nothing)."""
    problems = []
    if page.h1 != 1:
        problems.append(f"{page.h1} <h1> (want exactly one)")
    title = " ".join(page.title.split())
    if not title or title.startswith("·"):
        problems.append(f"empty <title> {title!r}")
    if not page.lang:
        problems.append("no <html lang>")
    if duplicates := sorted({i for i in page.ids if page.ids.count(i) > 1}):
        problems.append(f"duplicate id(s) {duplicates}")
    for form in page.forms:
        if form.method == "post" and not form.csrf:
            problems.append(f"POST form to {form.action!r} without the csrf_token field")
    return problems


# --- the crawl -----------------------------------------------------------------------------------


def pattern(url: str) -> str:
    """``url`` with ids, numbers and dates replaced: URLs of one pattern are sampled."""
    parts = urlsplit(url)
    path = "/".join("{x}" if ID.match(s) or NUMBERISH.match(s) else s for s in parts.path.split("/"))
    query = sorted((k, "{x}" if ID.match(v) or NUMBERISH.match(v) else v) for k, v in parse_qsl(parts.query))
    return f"{path}?{urlencode(query)}"


def expected_type(link: str, final: str) -> str | None:
    """The content type a download at ``link`` (answered from ``final``) must have, if known."""
    path = urlsplit(link).path
    for suffix, kind in DOWNLOADS.items():
        if path.endswith(suffix):
            return kind
    return mimetypes.guess_type(urlsplit(final).path)[0]


def download_problems(kind: str, content: bytes) -> list[str]:
    """What is wrong with a download of type ``kind`` (empty when nothing)."""
    if kind in {"", "application/octet-stream"}:
        return [f"a download without a precise content type ({kind!r})"]
    if not content:
        return ["an empty download"]
    if kind == "application/pdf" and not content.startswith(b"%PDF"):
        return ["answered as a PDF but is none"]
    if kind == "text/calendar" and not content.startswith(b"BEGIN:VCALENDAR"):
        return ["answered as a calendar but is none"]
    return []


@dataclass
class Crawl:
    """One visitor's crawl: what was fetched and what was wrong."""

    role: str
    client: PortalClient
    host: str
    signed_in: bool
    problems: list[str] = field(default_factory=list)
    bodies: dict[str, str] = field(default_factory=dict)
    fetched: int = 0
    seen: set[str] = field(default_factory=set)
    per_pattern: dict[str, int] = field(default_factory=dict)
    queue: deque[tuple[str, str]] = field(default_factory=deque)

    def local(self, link: str, base: str) -> str | None:
        """``link`` on ``base`` as a same-workspace path with query, or None (external, fragment...)."""
        url = urlsplit(urljoin(f"http://{self.host}{base}", link))
        if url.scheme not in {"http", "https"} or url.hostname != self.host:
            return None
        return url.path + (f"?{url.query}" if url.query else "")

    def offer(self, link: str, page: str) -> None:
        """Queue ``link`` shown on ``page``, unless seen, skipped or its pattern has its samples."""
        target = self.local(link, page if page.startswith("/") else "/")
        if target is None or target in self.seen or target.split("?")[0] in SKIPPED:
            return
        key = pattern(target)
        if self.per_pattern.get(key, 0) >= SAMPLES:
            return
        self.per_pattern[key] = self.per_pattern.get(key, 0) + 1
        self.seen.add(target)
        self.queue.append((target, page))

    async def follow(self, path: str) -> tuple[httpx.Response, list[str]]:
        """GET ``path``, following redirects by hand (each hop must stay on a page that answers)."""
        hops = [path]
        response = await self.client.get(path)
        while response.is_redirect and len(hops) <= MAX_HOPS:
            response = await self.client.get(urljoin(str(response.url), response.headers["location"]))
            hops.append(str(response.url))
        return response, hops

    async def run(self) -> None:
        self.offer("/", "(start)")
        while self.queue and self.fetched < MAX_PAGES:
            path, shown_on = self.queue.popleft()
            self.fetched += 1
            await self.visit(path, shown_on)

    async def visit(self, path: str, shown_on: str) -> None:
        response, hops = await self.follow(path)
        where = f"[{self.role}] link {path!r} shown on {shown_on!r}"
        if not 200 <= response.status_code < 300:
            self.problems.append(f"{where} answered {response.status_code} (via {' -> '.join(hops)})")
            return
        if self.signed_in and urlsplit(hops[-1]).path == "/login":
            self.problems.append(f"{where} sends a signed-in visitor to sign in (via {' -> '.join(hops)})")
        kind = response.headers.get("content-type", "").split(";")[0].strip()
        if (wanted := expected_type(path, str(response.url))) and kind != wanted:
            self.problems.append(f"{where} answered {kind!r}, expected {wanted!r}")
            return
        if kind != "text/html":
            self.problems += [f"{where}: {p}" for p in download_problems(kind, response.content)]
            return
        final = self.local(str(response.url), "/") or path
        self.bodies[final] = response.text
        page = read_page(response.text)
        self.problems += [f"[{self.role}] page {final!r}: {p}" for p in page_problems(page)]
        for link in page.links + page.resources:
            self.offer(link, final)


# --- the workspace -------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Workspace:
    """The demo workspace, its app and who signs in."""

    harness: Harness
    slug: str
    org: Organization
    logins: dict[str, tuple[str, str]]
    customer_ids: set[str]
    second_ids: set[str]
    all_ids: set[str]


async def api_ids(client: httpx.AsyncClient, slug: str, email: str, password: str) -> set[str]:
    """Ids of the appointments, documents and invoices ``email`` sees through the API."""
    headers = {"X-Tenant": slug}
    answer = await client.post("/api/v1/auth/login", json={"email": email, "password": password}, headers=headers)
    assert answer.status_code == 200, answer.text
    headers["Authorization"] = f"Bearer {answer.json()['access_token']}"
    ids = set()
    for what in ("appointments", "documents", "invoices"):
        listed = await client.get(f"/api/v1/{what}", params={"limit": 100}, headers=headers)
        assert listed.status_code == 200, listed.text
        ids |= {item["id"] for item in listed.json()["items"]}
    return ids


@pytest.fixture(scope="module")
async def demo(marcus_database: TestDatabase) -> AsyncIterator[Workspace]:
    org = await create_tenant(marcus_database, plugins=PLUGINS, organization=OrganizationFactory.build())
    async with running_app(marcus_database, worker=False) as h:
        admin, customer = (await run_demo(h.kernel, slug=org.slug)).logins
        staff = await create_user(marcus_database, org, role="staff")
        second = await create_user(marcus_database, org, role="customer")
        logins = {
            "customer": (customer.email, customer.password),
            "second-customer": (second.email, second.password),
            "staff": (staff.email, staff.password),
            "admin": (admin.email, admin.password),
        }
        customer_ids = await api_ids(h.client, org.slug, *logins["customer"])
        yield Workspace(
            harness=h,
            slug=org.slug,
            org=org,
            logins=logins,
            customer_ids=customer_ids,
            second_ids=await api_ids(h.client, org.slug, *logins["second-customer"]),
            all_ids=await api_ids(h.client, org.slug, *logins["admin"]),
        )


@asynccontextmanager
async def visitor(demo: Workspace, role: str) -> AsyncIterator[PortalClient]:
    """A portal client of the demo workspace, signed in through the login form as ``role``."""
    async with portal_client(demo.harness, demo.org) as client:
        if role in demo.logins:
            email, password = demo.logins[role]
            signed = await client.submit("/login", {"email": email, "password": password})
            assert signed.status_code == 303, f"signing in as {role} answered {signed.status_code}"
        yield client


def leaks(bodies: dict[str, str], forbidden: Iterable[str]) -> list[str]:
    """``page: id`` for every forbidden id found in a page body."""
    forbidden = {i.lower() for i in forbidden}
    return [f"{path}: {i}" for path, body in bodies.items() for i in set(UUIDS.findall(body.lower())) & forbidden]


async def events_recorded(demo: Workspace) -> int:
    """How many events the workspace has recorded (a GET that records one changed something)."""
    async with demo.harness.kernel.db.tenant_session(demo.org.id) as session:
        return int(await session.scalar(select(func.count()).select_from(OutboxEvent)) or 0)


@pytest.mark.parametrize("role", ROLES)
async def test_every_link_shown_works(demo: Workspace, role: str) -> None:
    """Crawl as ``role``: every page and download shown answers and is well formed; nothing of
    another customer shows; no GET records an event."""
    started = time.monotonic()
    async with visitor(demo, role) as client:
        crawl = Crawl(role=role, client=client, host=f"{demo.slug}.localhost", signed_in=role in demo.logins)
        before = await events_recorded(demo)
        await crawl.run()
        if (changes := await events_recorded(demo) - before) != 0:
            crawl.problems.append(f"[{role}] GET requests recorded {changes} event(s): some GET changes state")
    assert crawl.fetched > 5, f"[{role}] the crawl found almost nothing: {sorted(crawl.seen)}"
    others = demo.all_ids - (demo.customer_ids if role == "customer" else demo.second_ids)
    if role in {"customer", "second-customer"}:
        assert demo.customer_ids, "the demo customer should own appointments, documents and invoices"
        crawl.problems += [f"[{role}] shows another customer's record: {leak}" for leak in leaks(crawl.bodies, others)]
    if role == "second-customer":
        crawl.problems += [
            f"[{role}] shows the demo customer's email on {p}"
            for p, body in crawl.bodies.items()
            if CUSTOMER_EMAIL in body
        ]
    if role == "customer":  # the leak check sees ids at all: the customer's own show on their pages
        assert leaks(crawl.bodies, demo.customer_ids), "the demo customer's crawl shows none of their records"
    print(f"[{role}] {crawl.fetched} fetched, {len(crawl.per_pattern)} patterns, {time.monotonic() - started:.1f}s")
    assert not crawl.problems, f"{len(crawl.problems)} problem(s):\n" + "\n".join(crawl.problems)


def test_the_page_checks_catch_broken_pages() -> None:
    """The crawl's checks are not blind: a page breaking each rule is reported for each."""
    broken = (
        "<!doctype html><html><head><title> · Alpha</title></head><body><h1>A</h1><h1>B</h1>"
        '<p id="x"></p><p id="x"></p><form method="post" action="/go"><button>Go</button></form>'
        '<form method="get" action="/find"></form><input type="hidden" name="csrf_token" value="t"></body></html>'
    )
    problems = " | ".join(page_problems(read_page(broken)))
    for expected in ("2 <h1>", "empty <title>", "no <html lang>", "duplicate id(s) ['x']", "'/go' without the csrf"):
        assert expected in problems, problems
    assert "/find" not in problems
    good = (
        '<html lang="en"><title>Invoices · Alpha</title><h1>Invoices</h1>'
        '<form method="post"><input type="hidden" name="csrf_token" value="t"></form></html>'
    )
    assert page_problems(read_page(good)) == []
    assert (
        pattern("/invoices/01a23f4c-3bd8-70dd-8abf-be841ea170a8/pdf?day=2026-12-04") == "/invoices/{x}/pdf?day=%7Bx%7D"
    )
    assert download_problems("application/pdf", b"<html>") == ["answered as a PDF but is none"]
