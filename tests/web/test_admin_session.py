"""The admin login: session cookie, CSRF, expiry, redirects and the login rate limit."""

from __future__ import annotations

import re
import time

import pytest
from fastapi.testclient import TestClient

TOKEN = "admin-token-0123456789abcdef"
CSRF = re.compile(r'name="csrf" value="([^"]+)"')


@pytest.fixture(scope="module")
def admin_settings(seed_settings):
    return seed_settings.model_copy(update={"admin_token": TOKEN, "admin_session_minutes": 30})


@pytest.fixture(scope="module")
def admin_app(admin_settings, seed_searcher):
    from vidensbank.api.app import create_app
    from vidensbank.api.holder import SnapshotHolder

    return create_app(admin_settings, holder=SnapshotHolder(admin_settings, seed_searcher.embedder))


@pytest.fixture
def anon(admin_app):
    """A fresh client (own cookie jar) that does not follow redirects."""
    with TestClient(admin_app, follow_redirects=False, raise_server_exceptions=False) as c:
        yield c


def login_form(client: TestClient, next_path: str = "/admin") -> str:
    page = client.get("/admin/login", params={"next": next_path})
    assert page.status_code == 200
    return CSRF.search(page.text).group(1)


def log_in(client: TestClient, token: str = TOKEN, next_path: str = "/admin"):
    csrf = login_form(client, next_path)
    return client.post("/admin/login", data={"token": token, "csrf": csrf, "next": next_path})


def test_admin_page_sends_an_anonymous_visitor_to_the_login_form(anon):
    response = anon.get("/admin")
    assert response.status_code == 303
    assert response.headers["location"] == "/admin/login?next=%2Fadmin"
    form = anon.get(response.headers["location"])
    assert form.status_code == 200
    assert re.search(r'<label for="token">Adgangsnøgle</label>', form.text)
    assert 'id="token" name="token" type="password"' in form.text


def test_login_sets_a_strict_httponly_cookie_with_expiry_and_opens_the_admin(anon):
    response = log_in(anon, next_path="/admin?x=1")
    assert response.status_code == 303
    assert response.headers["location"] == "/admin?x=1"
    cookie = next(
        c for c in response.headers.get_list("set-cookie") if c.startswith("vidensbank_admin=")
    )
    flags = [part.strip().lower() for part in cookie.split(";")]
    assert "httponly" in flags
    assert "samesite=strict" in flags
    assert "path=/" in flags
    assert "max-age=1800" in flags
    assert "secure" not in flags  # plain http here; https gets Secure
    assert TOKEN not in cookie
    page = anon.get("/admin")
    assert page.status_code == 200
    assert "Publikationer i vidensbanken" in page.text


def test_cookie_is_secure_over_https(admin_app):
    with TestClient(admin_app, base_url="https://testserver", follow_redirects=False) as c:
        response = log_in(c)
    cookie = next(
        c for c in response.headers.get_list("set-cookie") if c.startswith("vidensbank_admin=")
    )
    assert "secure" in [part.strip().lower() for part in cookie.split(";")]


def test_wrong_token_is_refused_on_the_form_in_danish(anon):
    response = log_in(anon, token="wrong-token-0123456789")
    assert response.status_code == 401
    assert "Adgangsnøglen er forkert" in response.text
    assert "wrong-token-0123456789" not in response.text
    assert "vidensbank_admin=" not in response.headers.get("set-cookie", "")
    assert anon.get("/admin").status_code == 303


def test_login_without_csrf_is_refused(anon):
    login_form(anon)
    response = anon.post("/admin/login", data={"token": TOKEN, "next": "/admin"})
    assert response.status_code == 403
    assert "intet er gemt" in response.text
    assert "vidensbank_admin=" not in response.headers.get("set-cookie", "")


def test_login_csrf_from_another_client_is_refused(admin_app, anon):
    with TestClient(admin_app, follow_redirects=False) as other:
        foreign = login_form(other)
    login_form(anon)  # anon has its own nonce cookie; the other client's token does not fit
    response = anon.post("/admin/login", data={"token": TOKEN, "csrf": foreign, "next": "/"})
    assert response.status_code == 403


def test_admin_post_without_csrf_is_refused_and_with_it_accepted(anon):
    log_in(anon)
    refused = anon.post("/admin/logout", data={})
    assert refused.status_code == 403
    assert anon.get("/admin").status_code == 200  # still logged in: nothing happened
    csrf = CSRF.search(anon.get("/admin").text).group(1)
    done = anon.post("/admin/logout", data={"csrf": csrf})
    assert done.status_code == 303
    anon.cookies.clear()
    assert anon.get("/admin").status_code == 303


def test_expired_session_is_refused(admin_app, admin_settings):
    from vidensbank.web.session import SESSION_COOKIE, issue_session

    old = issue_session(admin_settings, now=time.time() - 31 * 60)
    fresh = issue_session(admin_settings)
    with TestClient(admin_app, follow_redirects=False) as c:
        c.cookies.set(SESSION_COOKIE, old)
        assert c.get("/admin").status_code == 303
        c.cookies.set(SESSION_COOKIE, fresh)
        assert c.get("/admin").status_code == 200


def test_forged_or_other_token_session_is_refused(admin_app, admin_settings):
    from vidensbank.web.session import SESSION_COOKIE, issue_session

    other = admin_settings.model_copy(update={"admin_token": "another-token-0123456789"})
    valid = issue_session(admin_settings)
    issued, nonce, mac = valid.split(".")
    forged = [
        issue_session(other),  # changing the token logs everyone out
        f"{int(issued) + 3600}.{nonce}.{mac}",  # timestamp moved, signature kept
        f"{issued}.{nonce}.{mac[:-2]}AA",
        "garbage",
    ]
    with TestClient(admin_app, follow_redirects=False) as c:
        for value in forged:
            c.cookies.set(SESSION_COOKIE, value)
            assert c.get("/admin").status_code == 303, value


def test_bearer_token_opens_admin_pages(anon):
    assert anon.get("/admin", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200
    wrong = anon.get("/admin", headers={"Authorization": "Bearer nope-nope-nope-nope"})
    assert wrong.status_code == 303


@pytest.mark.parametrize(
    "target",
    ["https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:alert(1)", "x"],
)
def test_open_redirect_is_refused(anon, target):
    response = log_in(anon, next_path=target)
    assert response.status_code == 303
    assert response.headers["location"] == "/admin"


def test_login_is_rate_limited_per_client(admin_app):
    with TestClient(admin_app, follow_redirects=False) as c:
        statuses = [log_in(c, token=f"wrong-{i}-0123456789abc").status_code for i in range(6)]
        assert statuses == [401] * 5 + [429]
        blocked = log_in(c)  # even the right token waits until the minute has passed
        assert blocked.status_code == 429
        assert "Vent" in blocked.text and int(blocked.headers["retry-after"]) > 0
    admin_app.state.login_limiter.forget("testclient")


def test_admin_without_token_configured_says_how_to_turn_writes_on(client):
    for path in ("/admin", "/admin/login"):
        response = client.get(path, follow_redirects=False)
        assert response.status_code == 403
        assert "VIDENSBANK_ADMIN_TOKEN" in response.text
        assert "slået fra" in response.text


def test_no_secret_or_path_in_admin_responses(anon, admin_settings):
    pages = [anon.get("/admin/login"), log_in(anon, token="bad-token-0123456789")]
    log_in(anon)
    pages.append(anon.get("/admin"))
    for response in pages:
        assert TOKEN not in response.text
        assert str(admin_settings.data_dir) not in response.text
        assert "Traceback" not in response.text


def test_safe_next_keeps_only_same_site_paths():
    from vidensbank.web.session import safe_next

    assert safe_next("/indsigt?periode=30") == "/indsigt?periode=30"
    for bad in (None, "", "//x", "/\\x", "http://x", "/a\nb", "/" + "a" * 3000):
        assert safe_next(bad) == "/admin"
