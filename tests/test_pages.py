"""The site shell: every public page, the SEO files, errors, headers and static assets."""

from __future__ import annotations

import re

import httpx
import pytest

from routes.pages import PUBLIC_PAGES

PAGES = {
    "/": "Welcome",
    "/about": "About",
    "/privacy-notice": "Privacy notice",
    "/terms-of-service": "Terms of service",
    "/cookie-settings": "Cookie settings",
}


@pytest.mark.parametrize(("path", "title"), PAGES.items())
async def test_guest_sees_each_public_page_with_its_title_and_meta(
    client: httpx.AsyncClient, path: str, title: str
) -> None:
    page = await client.get(path)
    assert page.status_code == 200
    assert f"<title>{title} · Minimal+User</title>" in page.text
    assert f'<link rel="canonical" href="http://testserver{path}">' in page.text
    assert '<meta name="description"' in page.text
    assert '<meta property="og:title"' in page.text
    assert 'id="navbar"' in page.text and "Sign up" in page.text
    assert page.headers["vary"].startswith("HX-Request, HX-Request-Type")


@pytest.mark.parametrize("path", ["/about", "/privacy-notice", "/terms-of-service"])
async def test_inner_pages_have_breadcrumbs_and_highlight_their_section(
    client: httpx.AsyncClient, path: str
) -> None:
    page = await client.get(path)
    assert 'aria-label="Breadcrumb"' in page.text
    assert 'aria-current="page"' in page.text


async def test_home_shows_the_home_flagged_album_images_only(client: httpx.AsyncClient) -> None:
    page = await client.get("/")
    shown = re.findall(r'src="/static/(img/album/thumbs/[^"?]+)', page.text)
    assert len(shown) == 4


async def test_robots_txt_points_to_the_sitemap_on_base_url(client: httpx.AsyncClient) -> None:
    robots = await client.get("/robots.txt")
    assert robots.status_code == 200
    assert "Sitemap: http://testserver/sitemap.xml" in robots.text


async def test_sitemap_lists_the_public_pages_with_base_url(client: httpx.AsyncClient) -> None:
    sitemap = await client.get("/sitemap.xml", headers={"Host": "localhost"})
    assert sitemap.headers["content-type"].startswith("application/xml")
    for path in PUBLIC_PAGES:
        assert f"<loc>http://testserver{path}</loc>" in sitemap.text
    assert "localhost" not in sitemap.text


async def test_unknown_page_is_a_rendered_404(client: httpx.AsyncClient) -> None:
    page = await client.get("/no/such/page")
    assert page.status_code == 404
    assert "Page not found" in page.text and 'id="navbar"' in page.text


async def test_htmx_partial_request_for_a_missing_page_gets_a_short_message(
    client: httpx.AsyncClient,
) -> None:
    page = await client.get(
        "/nowhere", headers={"HX-Request": "true", "HX-Request-Type": "partial"}
    )
    assert page.status_code == 404
    assert "data-error-message" in page.text and "<html" not in page.text


async def test_every_page_carries_the_security_headers(client: httpx.AsyncClient) -> None:
    for path in [*PAGES, "/robots.txt", "/missing"]:
        headers = (await client.get(path)).headers
        csp = headers["content-security-policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp.split("style-src")[0]
        assert "frame-ancestors 'none'" in csp
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "strict-origin-when-cross-origin"
        assert "strict-transport-security" not in headers


async def test_session_cookie_is_httponly_and_samesite(client: httpx.AsyncClient) -> None:
    page = await client.get("/")
    cookie = page.headers["set-cookie"]
    assert cookie.startswith("mu_session=")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


async def test_static_assets_are_versioned_cached_and_compressed(client: httpx.AsyncClient) -> None:
    page = await client.get("/")
    css = re.search(r'href="(/static/css/site\.css\?v=[0-9a-f]+)"', page.text)
    assert css
    asset = await client.get(css.group(1), headers={"Accept-Encoding": "gzip"})
    assert asset.status_code == 200
    assert "max-age=31536000" in asset.headers["cache-control"]
    assert asset.headers["content-encoding"] == "gzip"
    htmx = await client.get("/static/vendor/htmx/htmx.min.js")
    assert htmx.status_code == 200 and b"htmx" in htmx.content


async def test_html_pages_are_compressed_when_the_client_accepts_it(
    client: httpx.AsyncClient,
) -> None:
    page = await client.get("/about", headers={"Accept-Encoding": "gzip"})
    assert page.headers["content-encoding"] == "gzip"
    assert "About this site" in page.text
    plain = await client.get("/about", headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers
    assert "About this site" in plain.text
