"""The foundation through a real Hypercorn: pages, static files, statistics, CORS, logs, CLI."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

import httpx

from tests.support import ROOT, ChatClient, Server, running_server, write_settings


def test_guest_sees_the_sign_in_form_with_title_and_branding(tmp_path: Path) -> None:
    with running_server(tmp_path, Title="Cam Night", Branding="<b class='brand'>Cam Night</b>") as server:
        page = httpx.get(server.url + "/").text
    assert "<title>Cam Night</title>" in page
    assert "<b class='brand'>Cam Night</b>" in page
    assert '<label class="label" for="username">Username</label>' in page
    assert ">Enter chat</button>" in page


def test_about_page_links_to_the_website(tmp_path: Path) -> None:
    with running_server(tmp_path, WebsiteURL="https://site.example") as server:
        response = httpx.get(server.url + "/about")
    assert response.status_code == 200
    assert 'href="https://site.example"' in response.text


def test_static_assets_are_served_locally_with_cache_busting(server: Server) -> None:
    cookie_page = httpx.post(server.url + "/login", data={"username": "amy"})
    page = httpx.get(server.url + "/", cookies=cookie_page.cookies).text
    for asset in (
        "vendor/htmx/htmx.min.js",
        "vendor/htmx/hx-ws.min.js",
        "vendor/bulma/bulma.min.css",
        "vendor/fontawesome/css/all.min.css",
        "css/chat.css",
        "js/chat.js",
        "img/favicon.svg",
    ):
        start = page.index(f"/static/{asset}?v=")
        url = page[start : page.index('"', start)]
        response = httpx.get(server.url + url)
        assert response.status_code == 200, url
        assert len(response.content) > 100
        assert "immutable" in response.headers["cache-control"]
    font = httpx.get(server.url + "/static/vendor/fontawesome/webfonts/fa-solid-900.woff2")
    assert font.status_code == 200
    assert "https://" not in page.split("<body")[0].replace("https://www.example.com", "")


def test_statistics_lists_signed_in_users(server: Server) -> None:
    import asyncio

    async def scenario() -> None:
        alice = await ChatClient.join(server.url, "alice")
        bob = await ChatClient.join(server.url, "bob")
        stats = httpx.get(server.url + "/api/statistics").json()
        assert stats == {"UserCount": 2, "Usernames": ["alice", "bob"], "Cameras": {"Blue": 0, "Red": 0}}
        await alice.leave()
        await bob.leave()

    asyncio.run(scenario())
    assert httpx.get(server.url + "/api/statistics").json() == {
        "UserCount": 0,
        "Usernames": [],
        "Cameras": {"Blue": 0, "Red": 0},
    }


def test_cors_allows_listed_origins_only_and_answers_preflight(tmp_path: Path) -> None:
    with running_server(tmp_path, CORSHosts=["https://friend.example"]) as server:
        allowed = httpx.get(server.url + "/api/statistics", headers={"Origin": "https://friend.example"})
        refused = httpx.get(server.url + "/api/statistics", headers={"Origin": "https://evil.example"})
        preflight = httpx.options(
            server.url + "/api/statistics",
            headers={"Origin": "https://friend.example", "Access-Control-Request-Method": "GET"},
        )
    assert allowed.headers["access-control-allow-origin"] == "https://friend.example"
    assert "Origin" in allowed.headers["vary"]
    assert "access-control-allow-origin" not in refused.headers
    assert "Origin" in refused.headers["vary"]
    assert preflight.status_code == 204
    assert preflight.headers["access-control-allow-origin"] == "https://friend.example"
    assert "GET" in preflight.headers["access-control-allow-methods"]


def test_client_ip_from_forwarded_headers_only_when_enabled(tmp_path: Path) -> None:
    # What the client claimed first, then what the proxy in front of the chat saw: the latter counts.
    headers = {"X-Forwarded-For": "192.0.2.66, 203.0.113.7"}
    (tmp_path / "off").mkdir()
    with running_server(tmp_path / "off") as server:
        httpx.get(server.url + "/about", headers=headers)
        off_log = server.log()
    (tmp_path / "on").mkdir()
    with running_server(tmp_path / "on", UseXForwardedFor=True) as server:
        httpx.get(server.url + "/about", headers=headers)
        httpx.get(server.url + "/", headers={"X-Real-IP": "198.51.100.9"})
        on_log = server.log()
    assert "127.0.0.1 GET /about" in off_log and "203.0.113.7" not in off_log
    assert "203.0.113.7 GET /about" in on_log and "192.0.2.66" not in on_log
    assert "198.51.100.9 GET /" in on_log


def test_sigterm_closes_sockets_with_1012_and_exits(server: Server) -> None:
    import asyncio

    async def scenario() -> tuple[int, str]:
        alice = await ChatClient.join(server.url, "alice")
        assert server.process is not None
        server.process.send_signal(signal.SIGTERM)
        return await alice.wait_closed(timeout=5)

    code, _ = asyncio.run(scenario())
    assert code == 1012
    assert server.process is not None
    assert server.process.wait(timeout=5) == 0


def test_a_restart_after_people_left_logs_no_tracebacks(tmp_path: Path) -> None:
    # With keep-alive pings on, Hypercorn holds each closed connection until its pinger wakes,
    # and cancels those tasks when it stops; Python 3.11 logged a CancelledError traceback for
    # each (app/log_filters.py). An operator restarting after a busy spell should see none.
    import asyncio

    async def come_and_go(server: Server) -> None:
        clients = [await ChatClient.join(server.url, f"user{i}") for i in range(8)]
        for client in clients:
            await client.leave()
        await asyncio.sleep(0.5)

    with running_server(tmp_path, Limits={"PingIntervalSeconds": 20.0}) as server:
        asyncio.run(come_and_go(server))
        assert server.stop() == 0
        log = server.log()
    assert "socket closed for 'user7'" in log
    assert "Traceback" not in log and "CancelledError" not in log


def run_cli(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "app", *args], cwd=cwd, capture_output=True, text=True, timeout=30)


def test_cli_help_explains_every_option() -> None:
    result = run_cli("--help")
    assert result.returncode == 0
    for option in ("--address", "-address", "--settings"):
        assert option in result.stdout


def test_cli_bad_address_is_one_line_and_exit_2(tmp_path: Path) -> None:
    result = run_cli("-address", "nowhere", "--settings", str(tmp_path / "s.toml"))
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert "bad --address 'nowhere'" in result.stderr
    assert "Traceback" not in result.stderr


def test_cli_invalid_settings_name_file_line_and_key(tmp_path: Path) -> None:
    path = write_settings(tmp_path / "s.toml")
    path.write_text(path.read_text().replace('Title = "BareRTC"', "Title = 12"))
    line = (
        path.read_text().splitlines().index(next(ln for ln in path.read_text().splitlines() if ln.startswith("Title")))
        + 1
    )
    result = run_cli("--settings", str(path))
    assert result.returncode == 2
    assert result.stderr.strip() == f"python -m app: error: {path}:{line}: Title must be a string"


def test_cli_unreadable_settings(tmp_path: Path) -> None:
    result = run_cli("--settings", str(tmp_path))  # a directory
    assert result.returncode == 2
    assert "cannot read settings" in result.stderr and "Traceback" not in result.stderr


def test_every_module_is_loaded_through_a_versioned_import_map(server: Server) -> None:
    signed_in = httpx.post(server.url + "/login", data={"username": "amy"})
    page = httpx.get(server.url + "/", cookies=signed_in.cookies).text
    start = page.index(">", page.index('<script type="importmap"')) + 1
    imports = json.loads(page[start : page.index("</script>", start)])["imports"]
    modules = sorted(path.name for path in (ROOT / "app" / "static" / "js").glob("*.js") if path.name != "boot.js")
    assert sorted(key.rsplit("/", 1)[1] for key in imports) == modules
    for plain, versioned in imports.items():
        assert versioned.startswith(plain + "?v=")
        assert f'<link rel="modulepreload" href="{versioned}">' in page
        response = httpx.get(server.url + versioned)
        assert response.status_code == 200, versioned
        assert "immutable" in response.headers["cache-control"]
