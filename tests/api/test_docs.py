"""/docs: Swagger UI 5 (it renders OpenAPI 3.1, which FastAPI writes; the 4.15.5 of swagger-ui-bundle said "Unable to
render this definition"), served offline from the fastapi-offline package, under the docs page's own CSP.

The browser half (Chromium opens /docs and sees the operations) is ``test_browser.py::test_the_docs_page_renders``.
"""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from api.app import DOCS_FILES, create_app
from matcher.config import Settings


@pytest.fixture(scope="module")
def client(hash_matcher) -> TestClient:  # noqa: ANN001 - the docs need no real model
    with TestClient(create_app(Settings(), matcher=hash_matcher)) as c:
        yield c


def test_the_docs_page_loads_swagger_ui_5_from_this_server(client: TestClient) -> None:
    page = client.get("/docs")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    scripts = re.findall(r'<script src="([^"]+)"', page.text)
    styles = re.findall(r'<link rel="stylesheet" href="([^"]+)"', page.text)
    assert scripts == ["/docs-static/swagger-ui-bundle.js", "/docs-static/init.js"]
    assert styles == ["/docs-static/swagger-ui.css"]
    assert "<script>" not in page.text and "http" not in page.text  # no inline script, nothing from outside
    bundle = client.get("/docs-static/swagger-ui-bundle.js")
    assert bundle.status_code == 200 and bundle.headers["content-type"].startswith("text/javascript")
    version = re.search(r'PACKAGE_VERSION:"(\d+)\.(\d+)\.(\d+)"', bundle.text)
    assert version, "the bundle names its Swagger UI version"
    assert int(version.group(1)) >= 5, f"Swagger UI {version.group(0)} cannot render OpenAPI 3.1"
    css = client.get("/docs-static/swagger-ui.css")
    assert css.status_code == 200 and ".swagger-ui" in css.text
    init = client.get("/docs-static/init.js")
    assert init.status_code == 200 and '"/openapi.json"' in init.text


def test_the_docs_csp_allows_no_script_from_elsewhere(client: TestClient) -> None:
    csp = client.get("/docs").headers["content-security-policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
    assert "script-src" not in csp and "unsafe-eval" not in csp  # scripts: this server's files only


def test_only_the_files_the_page_needs_are_served(client: TestClient) -> None:
    assert set(DOCS_FILES) == {"swagger-ui-bundle.js", "swagger-ui.css"}
    for name in ("redoc.standalone.js", "favicon.png", "index.html", "swagger-ui.js", "../__init__.py",
                 "..%2Fcore.py", "swagger-ui-bundle.js.map"):
        answer = client.get(f"/docs-static/{name}")
        assert answer.status_code == 404, name
        assert answer.json()["code"] == "not_found"


def test_the_spec_is_openapi_3_1_with_the_open_endpoints(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    assert spec["openapi"].startswith("3.1"), "what Swagger UI 4 could not render and 5 does"
    assert {"/v1/match", "/v1/occupations", "/v1/occupations/{key}"} <= set(spec["paths"])
