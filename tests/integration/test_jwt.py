"""Sign-in from the host website with JWT, through the real server: strict, mixed, open (issue 4)."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from app.chat.model import dom_key
from tests.support import ROOT, ChatClient, Server, running_server, sign_in, write_settings
from tests.tokens import SECRET, hostile_tokens, token

SITE = "https://site.example"


def jwt_settings(*, enabled: bool = True, strict: bool = False) -> dict[str, object]:
    return {"JWT": {"Enabled": enabled, "Strict": strict, "SecretKey": SECRET}, "WebsiteURL": SITE}


@pytest.fixture(scope="module")
def mixed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with running_server(tmp_path_factory.mktemp("mixed"), **jwt_settings()) as server:
        yield server


@pytest.fixture
def strict(tmp_path: Path) -> Iterator[Server]:
    with running_server(tmp_path, **jwt_settings(strict=True)) as server:
        yield server


def row(name: str) -> str:
    return f'id="who-{dom_key(name)}"'


# --- hostile tokens -------------------------------------------------------------------


@pytest.mark.parametrize("method", ["GET", "POST"])
@pytest.mark.parametrize("name", list(hostile_tokens()))
def test_a_bad_token_is_refused_with_a_plain_403_and_never_logged(mixed: Server, name: str, method: str) -> None:
    bad, words = hostile_tokens()[name]
    with httpx.Client(base_url=mixed.url) as client:
        response = client.post("/", data={"jwt": bad}) if method == "POST" else client.get("/", params={"jwt": bad})
        assert response.status_code == 403
        assert words in response.text
        assert "Traceback" not in response.text
        assert f'href="{SITE}"' in response.text
        assert "Enter the chat as a guest instead" in response.text  # mixed mode: a choice, not a downgrade
        assert "barertc_session" not in client.cookies  # refused, not signed in as a guest
        assert "Username" in client.get("/").text
    log = mixed.log()
    assert "refused a sign-in token" in log
    assert bad not in log and bad[:60] not in log and SECRET not in log


def test_post_without_a_token_is_refused(mixed: Server) -> None:
    response = httpx.post(mixed.url + "/", data={"username": "alice"})
    assert response.status_code == 403
    assert "missing its token" in response.text


# --- the three modes ------------------------------------------------------------------


def test_strict_mode_lets_in_only_a_valid_token(strict: Server) -> None:
    page = httpx.get(strict.url + "/")
    assert page.status_code == 403
    assert "This chat is for members of the website. Please enter it from there." in page.text
    assert f'<a href="{SITE}">' in page.text
    assert 'name="username"' not in page.text
    assert httpx.post(strict.url + "/login", data={"username": "guest"}).status_code == 403
    refused = httpx.get(strict.url + "/", params={"jwt": token("alice", lifetime=-3600)})
    assert refused.status_code == 403 and "expired" in refused.text
    assert "as a guest" not in refused.text
    for post in (False, True):
        with httpx.Client(base_url=strict.url) as client:
            arrived = (
                client.post("/", data={"jwt": token("alice")})
                if post
                else client.get("/", params={"jwt": token("alice")})
            )
            assert arrived.status_code == 303 and arrived.headers["location"] == "/"
            chat = client.get("/")
            assert chat.status_code == 200 and 'data-me="alice"' in chat.text
    assert "alice" in strict.log() and token("alice")[:40] not in strict.log()


async def test_strict_mode_refuses_a_guest_session_left_from_open_mode(tmp_path: Path) -> None:
    shared = {"SessionSecret": "shared-session-secret-" + "s" * 30}
    (tmp_path / "open").mkdir()
    (tmp_path / "strict").mkdir()
    with running_server(tmp_path / "open", **shared) as open_server:
        cookie, name = sign_in(open_server.url, "guest")
    with running_server(tmp_path / "strict", **shared, **jwt_settings(strict=True)) as server:
        page = httpx.get(server.url + "/", cookies={"barertc_session": cookie})
        assert page.status_code == 403
        guest = ChatClient(server.url, cookie, name)
        await guest.connect()
        assert (await guest.wait_closed())[0] == 4401


def test_open_mode_ignores_a_token_and_drops_it_from_the_url(tmp_path: Path) -> None:
    with running_server(tmp_path, **jwt_settings(enabled=False)) as server, httpx.Client(base_url=server.url) as client:
        for response in (
            client.get("/", params={"jwt": token("alice")}),
            client.post("/", data={"jwt": token("alice")}),
        ):
            assert response.status_code == 303 and response.headers["location"] == "/"
        page = client.get("/").text
        assert 'name="username"' in page and "data-me" not in page


async def test_mixed_mode_members_and_guests_side_by_side(mixed: Server) -> None:
    page = httpx.get(mixed.url + "/").text
    assert 'name="username"' in page and "enter from there" in page
    alice = await ChatClient.join_with_token(mixed.url, token("mia"))
    bob = await ChatClient.join(mixed.url, "bob")
    assert alice.name == "mia" and bob.name == "bob"
    await bob.wait_for(lambda t: row("mia") in t)
    # A guest asking for a member's name, in any letter case, gets another one.
    _, given = sign_in(mixed.url, "MIA")
    assert given == "MIA2"
    for client in (alice, bob):
        await client.leave()


async def test_a_guest_cannot_keep_a_name_a_member_now_uses(mixed: Server) -> None:
    cookie, name = sign_in(mixed.url, "Nora")  # nobody called nora is here yet
    member = await ChatClient.join_with_token(mixed.url, token("nora"))
    guest = ChatClient(mixed.url, cookie, name)
    await guest.connect()
    code, reason = await guest.wait_closed()
    assert code == 4003 and "member of the site is here as nora" in reason
    # And a guest holding the exact name gives way when the member arrives.
    await member.leave()
    squatter = await ChatClient.join(mixed.url, "nora")
    assert squatter.name == "nora"
    member = await ChatClient.join_with_token(mixed.url, token("nora"))
    code, reason = await squatter.wait_closed()
    assert code == 4002 and "member of the site signed in with this name" in reason
    await member.leave()


# --- flair, reconnects, tabs ------------------------------------------------------------


async def test_operator_badge_avatar_and_profile_link_show_to_everyone(mixed: Server) -> None:
    olga = await ChatClient.join_with_token(
        mixed.url, token("olga", op=True, img="/avatars/olga.png", url="/u/olga"), post=True
    )
    guest = await ChatClient.join(mixed.url, "gus")
    listed = await guest.wait_for(lambda t: row("olga") in t)
    olga_row = re.search(rf"<li {row('olga')}.*?</li>", listed, re.S)
    assert olga_row, listed
    assert 'class="who-row is-op' in olga_row.group(0)
    assert "op-badge" in olga_row.group(0)
    assert f'src="{SITE}/avatars/olga.png"' in olga_row.group(0)
    assert f'href="{SITE}/u/olga"' in olga_row.group(0)
    gus_row = await olga.wait_for(lambda t: row("gus") in t)
    assert "op-badge" not in re.search(rf"<li {row('gus')}.*?</li>", gus_row, re.S).group(0)  # type: ignore[union-attr]
    await olga.say("order, please")
    said = await guest.wait_for(lambda t: "order, please" in t)
    assert f'src="{SITE}/avatars/olga.png"' in said and "op-badge" in said
    for client in (olga, guest):
        await client.leave()


async def test_bad_flair_urls_are_dropped(mixed: Server) -> None:
    eve = await ChatClient.join_with_token(mixed.url, token("eve", img="javascript:alert(1)", url="data:text/html,x"))
    listed = await eve.wait_for(lambda t: row("eve") in t)
    eve_row = re.search(rf"<li {row('eve')}.*?</li>", listed, re.S)
    assert eve_row and "javascript" not in eve_row.group(0) and "data:" not in eve_row.group(0)
    assert 'class="profile"' not in eve_row.group(0)
    await eve.leave()


async def test_a_reconnect_works_after_the_token_has_expired(mixed: Server) -> None:
    # Signed in with a token whose `exp` is already behind us (inside the leeway): the
    # session carries the identity, so later sockets never look at the token again.
    stale = token("rita", exp=int(time.time()) - 10)
    rita = await ChatClient.join_with_token(mixed.url, stale)
    await rita.leave()
    assert httpx.get(mixed.url + "/", params={"jwt": token("x", exp=int(time.time()) - 3600)}).status_code == 403
    await rita.connect()
    back = await rita.wait_for(lambda t: 'id="who-list"' in t)
    assert row("rita") in back
    await rita.leave()


async def test_a_second_tab_replaces_the_first_which_is_told_why(mixed: Server) -> None:
    first = await ChatClient.join_with_token(mixed.url, token("tess"))
    watcher = await ChatClient.join(mixed.url, "walt")
    second = await ChatClient.join_with_token(mixed.url, token("tess"), post=True)
    code, reason = await first.wait_closed()
    assert code == 4002 and "another tab" in reason
    assert 'id="connection-state"' in first.text() and "another tab" in first.text()
    await watcher.quiet()
    assert watcher.text().count(f'{row("tess")} hx-swap-oob="delete"') == 0  # never seen leaving
    await second.say("still here")
    await watcher.wait_for(lambda t: "still here" in t)
    for client in (second, watcher):
        await client.leave()


def test_jwt_on_without_a_key_refuses_to_start(tmp_path: Path) -> None:
    path = write_settings(tmp_path / "s.toml", JWT={"Enabled": True, "SecretKey": ""})
    result = subprocess.run(
        [sys.executable, "-m", "app", "--settings", str(path)], cwd=ROOT, capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert "JWT.SecretKey must be set when JWT.Enabled is true" in result.stderr
