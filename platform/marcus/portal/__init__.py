"""The portal: each workspace's web pages, server-rendered, served by Marcus at the workspace's
host (ARCHITECTURE §12).

Parts: ``cookies`` (the browser session's cookies: the API's own tokens, HttpOnly, SameSite,
Secure), ``csrf`` (a signed token in every form), ``visitor`` (who is looking, with transparent
refresh), ``templating`` (the Jinja2 environment: the kernel's layout, then each plugin's
templates folder under its name; the navigation), ``forms`` (form parsing and errors shown
next to their field), ``shell`` (``render``, ``redirect``, ``page_require`` and the page
context every page goes through), ``pages`` (the kernel's own pages), ``mount`` (serving all
of it, each plugin's ``PageSet`` behind its enabled-plugin gate, HTML error pages), with
``templates/`` and ``static/`` (plain CSS, small hand-written JS, nothing from elsewhere).

A plugin adds pages with ``register_pages`` returning ``marcus.PageSet(router=...,
templates=..., menu=(marcus.MenuEntry(...),))``: an ``APIRouter`` whose paths are all under
``/<plugin>``, a templates folder (its files are ``"<plugin>/<file>.html"``; a ``static/``
subfolder is served at ``/static/<plugin>/``) and menu entries. Its handlers use
``marcus.render``, ``marcus.redirect``, ``marcus.page_require``, ``marcus.PageDep`` (workspace,
session, visitor), ``marcus.VisitorDep``, ``marcus.parse_form`` and ``marcus.FormErrors``.
"""

from marcus.portal.forms import FormErrors, chosen_files, form_values, parse_form
from marcus.portal.shell import (
    PageDep,
    PageState,
    SignedInDep,
    VisitorDep,
    flash,
    page_require,
    redirect,
    render,
)
from marcus.portal.visitor import Visitor

__all__ = [
    "FormErrors",
    "PageDep",
    "PageState",
    "SignedInDep",
    "Visitor",
    "VisitorDep",
    "chosen_files",
    "flash",
    "form_values",
    "page_require",
    "parse_form",
    "redirect",
    "render",
]
