"""Service images: checked from their content, size-limited per workspace, served publicly
for active services, and their files removed once nothing points to them."""

from __future__ import annotations

from pathlib import Path

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64


def _stored(services_db) -> list[Path]:
    root = Path(services_db.settings.data_dir) / "storage" / "org"  # objects, not the local backend's .meta
    return sorted(p for p in root.rglob("image.*") if "/services/" in str(p))


async def test_upload_serve_replace_and_delete_an_image(shop, app, create_service, deliver, services_db):
    async with app() as h:
        created = await create_service(h, shop)
        url = f"/api/v1/services/{created['id']}/image"
        assert created["image_url"] is None
        uploaded = await h.client.put(url, files={"file": ("photo.gif", PNG, "image/gif")}, headers=shop.admin.headers)
        assert uploaded.status_code == 200, uploaded.text
        assert uploaded.json()["image_url"] == url
        served = await h.client.get(url, headers=shop.tenant)
        assert served.status_code == 200
        assert served.content == PNG
        assert served.headers["content-type"] == "image/png"  # from the bytes, not the client's claim
        assert served.headers["x-content-type-options"] == "nosniff"
        first = [p for p in _stored(services_db) if str(shop.org.id) in str(p)]
        assert len(first) == 1
        replaced = await h.client.put(url, files={"file": ("b.jpg", JPEG, "image/jpeg")}, headers=shop.admin.headers)
        assert replaced.status_code == 200
        assert (await h.client.get(url, headers=shop.tenant)).headers["content-type"] == "image/jpeg"
        await deliver(h)
        assert not first[0].exists()  # the replaced file went after commit
        second = [p for p in _stored(services_db) if str(shop.org.id) in str(p)]
        assert len(second) == 1
        deleted = await h.client.delete(f"/api/v1/services/{created['id']}", headers=shop.admin.headers)
        assert deleted.status_code == 204
        await deliver(h)
        assert not second[0].exists()
        assert (await h.client.get(url, headers=shop.tenant)).status_code == 404


async def test_images_are_refused_by_content_and_size(make_shop, app, create_service, services_db):
    shop = await make_shop(image_max_bytes=2048)
    async with app() as h:
        created = await create_service(h, shop)
        url = f"/api/v1/services/{created['id']}/image"
        cases = [
            (b"GIF89a" + b"\x00" * 64, "unsupported_file_type"),
            (b"<svg onload=alert(1)>", "unsupported_file_type"),
            (b"", "unsupported_file_type"),
            (PNG + b"\x00" * 4096, "file_too_large"),
        ]
        for content, code in cases:
            refused = await h.client.put(
                url, files={"file": ("x.png", content, "image/png")}, headers=shop.admin.headers
            )
            assert refused.status_code == 422, refused.text
            assert refused.json()["code"] == code
            assert refused.json()["errors"][0]["field"] == "file"
        missing = await h.client.put(url, headers=shop.admin.headers)
        assert missing.status_code == 422
        assert missing.json()["errors"][0]["field"] == "body.file"
    assert not [p for p in _stored(services_db) if str(shop.org.id) in str(p)]


async def test_images_of_hidden_services_are_not_public(shop, app, create_service):
    async with app() as h:
        created = await create_service(h, shop, status="inactive")
        url = f"/api/v1/services/{created['id']}/image"
        await h.client.put(url, files={"file": ("a.png", PNG, "image/png")}, headers=shop.admin.headers)
        assert (await h.client.get(url, headers=shop.tenant)).status_code == 404
        assert (await h.client.get(url, headers=shop.admin.headers)).status_code == 200
        removed = await h.client.delete(url, headers=shop.admin.headers)
        assert removed.json()["image_url"] is None
        assert (await h.client.get(url, headers=shop.admin.headers)).status_code == 404


async def test_images_round_trip_through_supabase(shop, app, create_service, deliver, marcus_supabase):
    def stored() -> list[str]:
        return sorted(k for k in marcus_supabase.objects if k.startswith(f"org/{shop.org.id}/services/"))

    async with app(**marcus_supabase.settings()) as h:
        created = await create_service(h, shop)
        url = f"/api/v1/services/{created['id']}/image"
        for content, media_type, name in ((PNG, "image/png", "image.png"), (JPEG, "image/jpeg", "image.jpg")):
            uploaded = await h.client.put(url, files={"file": ("x.bin", content)}, headers=shop.admin.headers)
            assert uploaded.status_code == 200, uploaded.text
            served = await h.client.get(url, headers=shop.tenant)
            assert (served.status_code, served.headers["content-type"], served.content) == (200, media_type, content)
            await deliver(h)
            assert [key.rsplit("/", 1)[-1] for key in stored()] == [name]  # the replaced image went after commit
        deleted = await h.client.delete(f"/api/v1/services/{created['id']}", headers=shop.admin.headers)
        assert deleted.status_code == 204
        await deliver(h)
        assert stored() == []
        assert (await h.client.get(url, headers=shop.tenant)).status_code == 404
