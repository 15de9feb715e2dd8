"""``GET /`` and the gate of root routes: compat answers only for workspaces that enabled it,
and browsers loading a page get the portal."""


async def test_root_text_for_api_clients_and_portal_for_browsers(ready):
    async with ready() as (h, shop):
        response = await h.client.get("/", headers=shop.tenant)
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/plain")
        assert response.text == "Appoinment Management Server Running..."
        page = await h.client.get("/", headers={**shop.tenant, "Accept": "text/html,application/xhtml+xml"})
        assert page.status_code == 200
        assert page.headers["content-type"].startswith("text/html")


async def test_root_routes_fall_through_for_a_workspace_without_compat(ready, kit):
    plugins = {k: v for k, v in kit.ALL_ENABLED.items() if k != "compat"}
    async with ready(plugins=plugins) as (h, shop):
        response = await h.client.get("/", headers=shop.tenant)
        assert "Appoinment" not in response.text
        assert response.headers["content-type"].startswith("text/html")
