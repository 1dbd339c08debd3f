"""Browser tests: Debian's Chromium driven by Playwright, one browser context per person."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, expect, sync_playwright

from tests.conftest import need
from tests.support import ROOT, Server, running_server

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--use-fake-device-for-media-stream=device-count=2",  # two cameras (fake_device_0, _1)
    "--use-fake-ui-for-media-stream",
    "--disable-features=WebRtcHideLocalIpsWithMdns",
]

pytestmark = pytest.mark.browser


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    need("Chromium at /usr/bin/chromium", os.path.exists(CHROMIUM))
    with sync_playwright() as running:
        yield running


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    launched = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
    yield launched
    launched.close()


@pytest.fixture
def chat_server(tmp_path: Path) -> Iterator[Server]:
    with running_server(tmp_path) as server:
        yield server


UserFactory = Callable[..., Page]


@pytest.fixture
def new_user(browser: Browser, chat_server: Server) -> Iterator[UserFactory]:
    """`new_user("alice")` → a signed-in page in its own browser context (own cookies)."""
    contexts: list[BrowserContext] = []

    def make(
        name: str,
        *,
        server: Server | None = None,
        viewport: tuple[int, int] = (1280, 800),
        enter: bool = True,
        before: Callable[[BrowserContext], None] | None = None,
        path: str = "/",
        enforce_csp: bool = False,
    ) -> Page:
        """`before(context)` runs before the page opens (an init script, a WebSocket route);
        `path` is where it opens (`/?jwt=...` signs in with a token, and skips the form)."""
        base = (server or chat_server).url
        # Playwright's string predicates (wait_for_function) are evaluated in the page, and
        # axe-core is added as an inline script: the page's CSP forbids both, so tests of other
        # things bypass it. tests/browser/test_security_browser.py walks the chat with it on.
        context = browser.new_context(
            base_url=base,
            viewport={"width": viewport[0], "height": viewport[1]},
            permissions=["camera", "microphone"],
            bypass_csp=not enforce_csp,
        )
        contexts.append(context)
        if before is not None:
            before(context)
        page = context.new_page()
        page.set_default_timeout(10_000)
        page.goto(path)
        if enter and path == "/":
            page.get_by_label("Username").fill(name)
            page.get_by_role("button", name="Enter chat").click()
            page.locator("#chat[data-connected='true']").wait_for()
        elif enter:
            page.locator("#chat[data-connected='true']").wait_for()
        return page

    yield make
    for context in contexts:
        context.close()


def start_dm(page: Page, name: str) -> None:
    """Open a DM with `name` as a person does: their name in the who list opens their profile
    card, whose "Send a message" opens the conversation (and closes the card)."""
    page.get_by_role("region", name="Who's online").get_by_role("button", name=name, exact=True).click()
    card = page.get_by_role("dialog", name=name, exact=True)
    card.get_by_role("button", name="Send a message").click()
    expect(card).to_be_hidden()


def say(page: Page, text: str) -> None:
    """Type `text` in the message box and send it with Enter; the box empties once it is sent."""
    box = page.get_by_label("Message", exact=True)
    box.fill(text)
    box.press("Enter")
    expect(box).to_have_value("")
