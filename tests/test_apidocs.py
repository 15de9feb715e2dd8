"""``/docs``: Swagger UI from the installed wheel, nothing fetched from elsewhere, no inline
script (the portal's Content-Security-Policy allows only the site's own scripts). The browser
tour (tests/e2e/test_tour.py) checks that it renders the API."""

from __future__ import annotations

import re


async def test_the_api_docs_load_nothing_from_elsewhere(example_database, marcus_app_factory):
    async with marcus_app_factory(example_database) as h:
        page = await h.client.get("/docs", headers={"Accept": "text/html"})
        assert page.status_code == 200
        assert "script-src 'self'" in page.headers["content-security-policy"]
        assert not re.search(r"(src|href)=\"(https?:)?//", page.text), "an asset from another site"
        assert re.findall(r"<script(?![^>]*\bsrc=)", page.text) == [], "an inline script the CSP would block"
        for asset in re.findall(r"(?:src|href)=\"(/[^\"]+)\"", page.text):
            answer = await h.client.get(asset)
            assert answer.status_code == 200, asset
        start = await h.client.get("/docs/start.js")
        assert start.headers["content-type"].startswith("text/javascript")
        assert "SwaggerUIBundle" in start.text
        assert 'data-openapi-url="/openapi.json"' in page.text
