"""Sign-in forms, session cookies and response headers, against the real server (issue 22):
cross-site posts refused, `Secure` and HSTS under HTTPS, sign-out and kick revoke the session
on every process, and the security headers on every response."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from tests.conftest import redis_settings
from tests.support import ChatClient, RedisServer, Server, running_server, sign_in, write_settings
from tests.tokens import SECRET, token

SITE = "https://www.example.com"
EVIL = "https://evil.example"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    settings = {
        "JWT": {"Enabled": True, "Strict": False, "SecretKey": SECRET},
        "WebsiteURL": SITE,
        "CORSHosts": ["https://friend.example"],
        "UseXForwardedFor": True,
        "FrameAncestors": ["https://embedder.example"],
    }
    with running_server(tmp_path_factory.mktemp("sessions"), **settings) as running:
        yield running


@contextmanager
def signed_in_client(server: Server, name: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url) as client:
        assert client.post("/login", data={"username": name}).status_code == 302
        yield client


# --- cross-site forms -------------------------------------------------------------------


@pytest.mark.parametrize("headers", [{"Origin": EVIL}, {"Origin": "null"}, {"Sec-Fetch-Site": "cross-site"}])
def test_a_guest_sign_in_sent_from_another_site_is_refused(server: Server, headers: dict[str, str]) -> None:
    response = httpx.post(server.url + "/login", data={"username": "victim"}, headers=headers)
    assert response.status_code == 403 and "came from another website" in response.text
    assert "barertc_session" not in response.cookies


def test_a_token_post_is_refused_from_another_site_and_taken_from_the_website(server: Server) -> None:
    refused = httpx.post(server.url + "/", data={"jwt": token("mallory")}, headers={"Origin": EVIL})
    assert refused.status_code == 403 and "barertc_session" not in refused.cookies
    for origin in (SITE, "https://friend.example", server.url):
        taken = httpx.post(server.url + "/", data={"jwt": token("member")}, headers={"Origin": origin})
        assert taken.status_code == 303, origin


def test_a_sign_out_sent_from_another_site_does_nothing(server: Server) -> None:
    with signed_in_client(server, "stays") as client:
        refused = client.post("/logout", headers={"Origin": EVIL})
        assert refused.status_code == 403
        assert 'data-me="stays"' in client.get("/").text
        assert client.post("/logout", headers={"Origin": server.url}).status_code == 302
        assert "Enter chat" in client.get("/").text


def test_same_site_forms_without_origin_work(server: Server) -> None:
    """What a same-origin browser form sends, and what a script with no browser sends."""
    for headers in ({"Origin": server.url}, {"Sec-Fetch-Site": "same-origin"}, {}):
        response = httpx.post(server.url + "/login", data={"username": "plain"}, headers=headers)
        assert response.status_code == 302, headers


# --- cookies and headers ----------------------------------------------------------------

HTTPS = {"X-Forwarded-Proto": "https"}


def test_secure_cookie_and_hsts_only_over_https(server: Server) -> None:
    plain = httpx.post(server.url + "/login", data={"username": "plainhttp"})
    assert "secure" not in plain.headers["set-cookie"].lower()
    assert "strict-transport-security" not in plain.headers
    https = httpx.post(server.url + "/login", data={"username": "overtls"}, headers=HTTPS)
    assert "; secure" in https.headers["set-cookie"].lower()
    assert https.headers["strict-transport-security"] == "max-age=31536000"
    assert httpx.get(server.url + "/about", headers=HTTPS).headers["strict-transport-security"]


def test_forwarded_https_is_ignored_without_use_x_forwarded_for(tmp_path: Path) -> None:
    with running_server(tmp_path) as server:
        response = httpx.post(server.url + "/login", data={"username": "spoof"}, headers=HTTPS)
    assert "secure" not in response.headers["set-cookie"].lower()
    assert "strict-transport-security" not in response.headers


@pytest.mark.parametrize("path", ["/", "/about", "/api/statistics", "/static/css/chat.css", "/nowhere"])
def test_every_response_carries_the_security_headers(server: Server, path: str) -> None:
    response = httpx.get(server.url + path)
    policy = response.headers["content-security-policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert directives["script-src"].startswith("'self' 'nonce-") and "unsafe" not in directives["script-src"]
    assert directives["style-src"].startswith("'self' 'nonce-") and "unsafe" not in directives["style-src"]
    assert "unsafe-eval" not in policy
    assert "frame-ancestors 'self' https://embedder.example" in policy
    assert "object-src 'none'" in policy and "base-uri 'none'" in policy
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "same-origin"


def test_each_page_gets_its_own_nonce_on_its_inline_script_and_style(server: Server) -> None:
    with signed_in_client(server, "noncer") as client:
        first, second = client.get("/"), client.get("/")
    nonces = []
    for page in (first, second):
        nonce = page.headers["content-security-policy"].split("'nonce-")[1].split("'")[0]
        assert f'<script type="importmap" nonce="{nonce}">' in page.text
        assert f'<style nonce="{nonce}">' in page.text
        nonces.append(nonce)
    assert nonces[0] != nonces[1]


# --- revoked sessions -------------------------------------------------------------------


async def test_a_cookie_copied_before_sign_out_opens_nothing_afterwards(server: Server) -> None:
    cookie, name = sign_in(server.url, "copied")
    alice = ChatClient(server.url, cookie, name)
    await alice.connect()
    await alice.wait_for(lambda t: 'id="who-list"' in t)
    with httpx.Client(base_url=server.url, cookies={"barertc_session": cookie}) as browser:
        assert browser.post("/logout").status_code == 302
    code, reason = await alice.wait_closed()  # the open socket of that session closes too
    assert code == 4401 and reason == "You signed out."
    thief = ChatClient(server.url, cookie, name)
    await thief.connect()
    code, reason = await thief.wait_closed()
    assert code == 4401 and "signed out or were removed" in reason
    page = httpx.get(server.url + "/", cookies={"barertc_session": cookie})
    assert "Enter chat" in page.text


async def test_an_operators_session_is_revoked_on_every_process(tmp_path: Path, shared_redis: RedisServer) -> None:
    path = write_settings(
        tmp_path / "settings.toml",
        JWT={"Enabled": True, "Strict": False, "SecretKey": SECRET},
        Redis=redis_settings(shared_redis),
    )
    one, two = Server(path).start(), Server(path).start()
    try:
        olga = await ChatClient.join_with_token(one.url, token("olga", op=True))
        with httpx.Client(base_url=one.url, cookies={"barertc_session": olga.cookie}) as browser:
            assert browser.post("/logout").status_code == 302
        await olga.wait_closed()
        elsewhere = ChatClient(two.url, olga.cookie, "olga")
        await elsewhere.connect()
        code, _ = await elsewhere.wait_closed()
        assert code == 4401
        assert "Enter chat" in httpx.get(two.url + "/", cookies={"barertc_session": olga.cookie}).text
    finally:
        one.stop()
        two.stop()
