"""An operator kicks someone in real Chromium: the kicked tab says why and stays disconnected."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import WebSocket, expect

from tests.browser.conftest import UserFactory
from tests.support import running_server
from tests.tokens import SECRET, token


def test_an_operator_kicks_a_user_who_sees_why_and_stays_out(new_user: UserFactory, tmp_path: Path) -> None:
    settings = {"JWT": {"Enabled": True, "Strict": False, "SecretKey": SECRET}}
    with running_server(tmp_path / "jwt", **settings) as server:
        olga = new_user("olga", server=server, enter=False)
        olga.goto("/?jwt=" + token("olga", op=True))
        expect(olga).to_have_url(server.url + "/")  # the token is gone from the address
        olga.locator("#chat[data-connected='true']").wait_for()

        bob = new_user("bob", server=server)
        sockets: list[WebSocket] = []
        bob.on("websocket", lambda socket: sockets.append(socket))
        who_olga = olga.get_by_role("region", name="Who's online")
        expect(who_olga.get_by_role("button", name="bob")).to_be_visible()
        expect(bob.get_by_role("region", name="Who's online").locator(".who-row.is-op .op-badge")).to_have_count(1)

        olga.get_by_label("Message", exact=True).fill("/kick bob")
        olga.get_by_label("Message", exact=True).press("Enter")
        expect(olga.locator("#notices")).to_contain_text("bob has been kicked.")

        state = bob.locator("#connection-state")
        expect(state).to_contain_text("Disconnected.")
        expect(state).to_contain_text("You have been kicked from the chat by olga.")
        expect(bob.locator("#chat")).to_have_attribute("data-connected", "false")
        expect(who_olga.get_by_role("button", name="bob")).to_have_count(0)
        # hx-ws retries after about half a second on codes it reconnects on; 4000 is not one.
        bob.wait_for_timeout(3000)
        assert sockets == []  # no new socket since the kick
        expect(bob.locator("#chat")).to_have_attribute("data-connected", "false")
        expect(state).to_contain_text("You have been kicked from the chat by olga.")
        expect(who_olga.get_by_role("button", name="bob")).to_have_count(0)

        # A kick is not a ban, but the kicked session is over: the banner's link leads to the
        # sign-in form, and bob is back once he signs in again.
        state.get_by_role("link", name="Back to the chat").click()
        bob.get_by_label("Username").fill("bob")
        bob.get_by_role("button", name="Enter chat").click()
        bob.locator("#chat[data-connected='true']").wait_for()
        expect(who_olga.get_by_role("button", name="bob")).to_be_visible()
