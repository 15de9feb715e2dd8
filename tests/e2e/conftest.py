"""End-to-end fixtures: Debian's Chromium driven by Playwright (never a downloaded browser),
axe-core from the npm registry (installed by .ci/run under .marcus/node), a folder for
screenshots, and accessibility checks run inside each page.

Outside CI a missing Chromium or Playwright skips these tests; in CI it fails them.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("MARCUS_CHROMIUM", "/usr/bin/chromium")
AXE = Path(os.environ.get("MARCUS_AXE_JS", ROOT / ".marcus" / "node" / "node_modules" / "axe-core" / "axe.min.js"))
SCREENSHOTS = Path(os.environ.get("MARCUS_SCREENSHOTS", ROOT / ".marcus" / "screenshots"))
# Flags for a closed network, as root, with no screen; *.localhost always means this machine.
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--host-resolver-rules=MAP *.localhost 127.0.0.1",
]

# Checks axe cannot make without a person, and the few our layout needs: every page has one
# h1, headings never skip a level, every image has alt text, every field a label.
BASICS_JS = """
() => {
  const problems = [];
  const h1 = document.querySelectorAll("h1").length;
  if (h1 !== 1) problems.push(`${h1} h1 elements`);
  let last = 0;
  for (const h of document.querySelectorAll("h1, h2, h3, h4, h5, h6")) {
    const level = Number(h.tagName[1]);
    if (level > last + 1) problems.push(`heading h${level} after h${last}: ${h.textContent.trim()}`);
    last = level;
  }
  for (const img of document.querySelectorAll("img")) {
    if (!img.hasAttribute("alt")) problems.push(`image without alt: ${img.getAttribute("src")}`);
  }
  for (const field of document.querySelectorAll("input:not([type=hidden]), select, textarea")) {
    const label = field.id && document.querySelector(`label[for="${field.id}"]`);
    if (!label && !field.closest("label") && !field.getAttribute("aria-label") && !field.getAttribute("aria-labelledby")) {
      problems.push(`field without a label: ${field.name || field.id}`);
    }
  }
  if (!document.documentElement.lang) problems.push("no lang on <html>");
  return problems;
}
"""


def _unavailable(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{reason}: .ci/run installs it, the end-to-end tests are required in CI")
    pytest.skip(reason)


@pytest_asyncio.fixture(scope="module")
async def chromium() -> AsyncIterator[Any]:
    """A headless Debian Chromium, driven by Playwright."""
    try:
        from playwright.async_api import async_playwright, expect
    except ImportError:
        _unavailable("the playwright package is not installed (pip install -e .[test])")
    # Waits for what the page must show, not timings: 5 s is short on a loaded 2-core CI machine.
    expect.set_options(timeout=15_000)
    if not shutil.which(CHROMIUM):
        _unavailable(f"{CHROMIUM} is missing (apt-get install chromium)")
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield browser
        await browser.close()


@pytest.fixture(scope="session")
def axe_source() -> str | None:
    """axe-core's browser build, or None where it is not installed (the basic checks still run)."""
    if AXE.is_file():
        return AXE.read_text()
    if os.environ.get("CI"):
        pytest.fail(f"axe-core is missing at {AXE}: .ci/run installs it with npm")
    return None


class Pages:
    """Browser contexts for a test, and screenshots and accessibility checks of its pages.

    axe-core is added to every page as an init script (the DevTools protocol, not a page
    script: the portal's Content-Security-Policy stays in force). Console errors, a refused
    script or style among them, count as problems too.
    """

    def __init__(self, axe: str | None) -> None:
        self.axe = axe
        self.problems: dict[str, list[str]] = {}
        self.console: list[str] = []
        self.artifacts = SCREENSHOTS  # where screenshots (and files a test downloads) are kept
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    async def context(self, browser: Any, **options: Any) -> Any:
        """A fresh browser profile (own cookies) watching console errors."""
        context = await browser.new_context(**options)
        if self.axe is not None:
            await context.add_init_script(script=self.axe)
        context.on("console", lambda message: self._console(message))
        return context

    def _console(self, message: Any) -> None:
        # Pages answering 4xx on purpose log "Failed to load resource"; the tests check statuses.
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            self.console.append(message.text)

    async def check(self, page: Any, name: str) -> None:
        """Save ``<name>.png`` and record the page's accessibility problems."""
        await page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
        found = list(await page.evaluate(BASICS_JS))
        if self.axe is not None:
            result = await page.evaluate(
                "async () => (await axe.run(document, {runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa',"
                " 'best-practice']})).violations.map(v => `${v.id}: ${v.help} (${v.nodes.length}) `"
                " + v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(' | '))"
            )
            found += list(result)
        if found:
            self.problems[f"{name} ({page.url})"] = found

    def assert_clean(self) -> None:
        assert self.console == [], f"console errors: {self.console}"
        assert self.problems == {}, "accessibility problems:\n" + "\n".join(
            f"{page}: {problem}" for page, problems in self.problems.items() for problem in problems
        )


@pytest.fixture
def pages(axe_source: str | None) -> Pages:
    return Pages(axe_source)
