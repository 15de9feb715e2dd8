"""Accessibility basics that need no browser: every text/background colour pair the portal's
CSS uses reaches WCAG AA contrast (4.5:1), and every kernel template has exactly one h1 and
labels its fields. The browser tests (tests/e2e) run axe-core on the rendered pages too."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest

import marcus.portal

PORTAL = Path(marcus.portal.__file__).parent
CSS = (PORTAL / "static" / "portal.css").read_text()
# (text, background) as the stylesheet pairs them.
PAIRS = [
    ("--ink", "--paper"),
    ("--muted", "--paper"),
    ("--ink", "--wash"),
    ("--muted", "--wash"),
    ("--brand", "--paper"),
    ("--paper", "--brand"),
    ("--brand-dark", "--paper"),
    ("--brand", "--wash"),
    ("--paper", "--brand-dark"),
    ("--head-ink", "--head"),
    ("--danger", "--paper"),
    ("--paper", "--danger"),
    ("--danger", "--wash"),
    ("--ok-ink", "--ok"),
]


def colour(name: str) -> tuple[float, ...]:
    found = re.search(rf"{re.escape(name)}:\s*#([0-9a-fA-F]{{6}})", CSS)
    assert found, f"{name} is not defined as a #rrggbb colour"
    return tuple(int(found.group(1)[i : i + 2], 16) / 255 for i in (0, 2, 4))


def luminance(rgb: tuple[float, ...]) -> float:
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(text: str, background: str) -> float:
    high, low = sorted((luminance(colour(text)), luminance(colour(background))), reverse=True)
    return (high + 0.05) / (low + 0.05)


@pytest.mark.parametrize(("text", "background"), PAIRS)
def test_colour_pairs_reach_wcag_aa_contrast(text, background):
    assert contrast(text, background) >= 4.5, f"{text} on {background}: {contrast(text, background):.2f}:1"


PAGES = [
    p
    for p in (PORTAL / "templates" / "portal").glob("*.html")
    if p.name not in {"base.html", "forms.html", "lists.html"}
]


@pytest.mark.parametrize("template", PAGES, ids=lambda p: p.name)
def test_every_kernel_page_has_one_h1(template):
    assert template.read_text().count("<h1") == 1


def test_every_field_macro_draws_a_label_tied_to_its_input():
    forms = (PORTAL / "templates" / "portal" / "forms.html").read_text()
    # input, textarea, select, checkbox: each has a label pointing at its id
    assert forms.count('<label for="{{ _id(name) }}') == 4
    assert len(re.findall(r'<(?:input|textarea|select) id="\{\{ _id\(name\) \}\}', forms)) == 4
    assert 'aria-invalid="true"' in forms
    assert "aria-describedby" in forms


def _plugin_folder(plugin: str) -> Path:
    return Path(importlib.import_module(f"marcus_{plugin}.plugin").__file__).parent / "templates"


PLUGIN_FOLDERS = [_plugin_folder(name) for name in ("services", "blog", "appointments", "documents", "invoices")]
# Page templates (not the "_" fragments pages include or scripts reload) of the first-party plugins.
PLUGIN_PAGES = [page for folder in PLUGIN_FOLDERS for page in sorted(folder.glob("*.html")) if page.name[0] != "_"]


@pytest.mark.parametrize("template", PLUGIN_PAGES, ids=lambda p: f"{p.parent.parent.name}/{p.name}")
def test_every_plugin_page_has_one_h1_in_the_layout(template):
    text = template.read_text()
    assert text.count("<h1") == 1
    assert '{% extends "portal/base.html" %}' in text


@pytest.mark.parametrize(
    "stylesheet", [css for folder in PLUGIN_FOLDERS for css in (folder / "static").glob("*.css")], ids=lambda p: p.name
)
def test_plugin_stylesheets_use_only_the_portals_checked_colours(stylesheet):
    """Plugins colour text and backgrounds only with the palette whose pairs are checked above."""
    text = re.sub(r"/\*.*?\*/", "", stylesheet.read_text(), flags=re.S)
    assert re.findall(r"#[0-9a-fA-F]{3,8}\b|rgba?\(|hsla?\(", text) == []
    assert set(re.findall(r"var\((--[a-z-]+)\)", text)) <= set(re.findall(r"(--[a-z-]+):", CSS))
