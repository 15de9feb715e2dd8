"""The interactive API docs at ``/docs``, with Swagger UI served from the ``swagger-ui-bundle``
package: FastAPI's default page loads it from a CDN, so on a closed network (or behind a strict
proxy) ``/docs`` would stay blank. Nothing is loaded from outside, and the page has no inline
script, so it works under the portal's Content-Security-Policy (``script-src 'self'``)."""

from __future__ import annotations

from html import escape

from fastapi import FastAPI
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles

ASSETS = "/docs/assets"
PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{title}</title>
<link rel="stylesheet" href="{assets}/swagger-ui.css">
<link rel="icon" type="image/png" href="{assets}/favicon-32x32.png">
</head>
<body>
<div id="swagger-ui" data-openapi-url="{openapi_url}"></div>
<script src="{assets}/swagger-ui-bundle.js"></script>
<script src="/docs/start.js"></script>
</body>
</html>
"""
START = """window.ui = SwaggerUIBundle({
  url: document.getElementById("swagger-ui").dataset.openapiUrl,
  dom_id: "#swagger-ui",
  deepLinking: true,
  layout: "BaseLayout",
  presets: [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset],
});
"""


def mount_api_docs(api: FastAPI) -> None:
    """Serve ``/docs`` (create the app with ``docs_url=None``) and its assets under ``/docs/assets``."""
    from swagger_ui_bundle import swagger_ui_path

    api.mount(ASSETS, StaticFiles(directory=str(swagger_ui_path)), name="docs-assets")
    page = PAGE.format(title=escape(f"{api.title} API"), assets=ASSETS, openapi_url=escape(api.openapi_url or ""))

    @api.get("/docs", include_in_schema=False)
    async def swagger_ui() -> HTMLResponse:
        return HTMLResponse(page)

    @api.get("/docs/start.js", include_in_schema=False)
    async def swagger_ui_start() -> Response:
        return Response(START, media_type="text/javascript")
