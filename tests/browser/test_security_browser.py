"""In real Chromium (issue 22): the chat page runs under its Content-Security-Policy with no
violation, webcams included; a page on another website cannot sign a browser in or out."""

from __future__ import annotations

import re

from playwright.sync_api import Browser, BrowserContext, Page, Route, expect

from tests.browser.conftest import UserFactory, start_dm
from tests.browser.test_webcam_browser import expect_playing, start_webcam, who
from tests.support import Server

LISTEN = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__violations.push(`${event.violatedDirective} ${event.blockedURI} ${event.sourceFile}:${event.lineNumber}`);
});
"""


def listen(context: BrowserContext) -> None:
    """Collect CSP violations from the page's first script on."""
    context.add_init_script(LISTEN)


def violations(page: Page) -> list[str]:
    found: list[str] = page.evaluate("window.__violations")
    return found


def test_the_chat_and_its_webcams_run_without_a_csp_violation(new_user: UserFactory) -> None:
    alice = new_user("alice", enforce_csp=True, before=listen)
    bob = new_user("bob", enforce_csp=True, before=listen)
    start_webcam(alice)
    who(bob).get_by_role("button", name="Watch alice").click()
    expect_playing(bob, "alice")
    bob.get_by_label("Message", exact=True).fill("**bold** and a [link](https://example.com)")
    bob.get_by_role("button", name="Send", exact=True).click()
    expect(alice.locator("#log-lobby strong", has_text="bold")).to_be_visible()
    start_dm(alice, "bob")  # through bob's profile card, under the policy too
    alice.get_by_label("Message", exact=True).fill("a direct word")
    alice.get_by_role("button", name="Send", exact=True).click()
    expect(bob.get_by_text("a direct word")).to_be_attached()
    # Reactions and the emoji picker (a web component with styles of its own).
    alice.get_by_role("button", name="Lobby").click()
    on_alice = alice.get_by_role("log", name="Lobby").get_by_role("article").filter(has_text="and a")
    on_alice.hover()
    on_alice.get_by_role("button", name="React").click()
    alice.get_by_role("menuitem", name="👍").click()
    expect(on_alice.get_by_role("button", name=re.compile("👍"))).to_be_visible()
    alice.get_by_role("button", name="Emoji").click()
    picker = alice.get_by_role("dialog", name="Emoji")
    picker.get_by_role("tab", name="Smileys and emoticons").click()
    picker.get_by_role("menuitem", name=re.compile("grinning face")).first.click()
    expect(alice.get_by_label("Message", exact=True)).to_have_value(re.compile("😀"))
    bob.get_by_role("button", name="Settings").click()
    expect(bob.get_by_role("dialog")).to_be_visible()
    bob.keyboard.press("Escape")
    for page in (alice, bob):
        assert violations(page) == [], violations(page)
    # The listener hears what the policy blocks: an inline script without the nonce, and htmx's
    # hx-on (compiled with new Function when it fires: 'unsafe-eval', which the policy leaves out).
    bob.evaluate("document.body.append(Object.assign(document.createElement('script'), {textContent: '1'}))")
    bob.evaluate(
        """() => {
          const button = Object.assign(document.createElement('button'), {id: 'hx-on-probe', textContent: 'probe'});
          button.setAttribute('hx-on:click', 'window.__hxOn = 1');
          document.body.append(button);
          htmx.process(button);
        }"""
    )
    bob.locator("#hx-on-probe").click()
    bob.wait_for_function("() => window.__violations.length >= 2")
    assert bob.evaluate("window.__hxOn") is None
    assert any(line.startswith("script-src") for line in violations(bob))


def evil_page(action: str, fields: dict[str, str]) -> str:
    inputs = "".join(f'<input type="hidden" name="{name}" value="{value}">' for name, value in fields.items())
    return f'<!DOCTYPE html><form id="f" method="post" action="{action}">{inputs}</form><script>f.submit()</script>'


def visit_evil(page: Page, action: str, fields: dict[str, str]) -> None:
    def serve(route: Route) -> None:
        route.fulfill(status=200, content_type="text/html", body=evil_page(action, fields))

    page.context.route("http://evil.test/**", serve)
    page.goto("http://evil.test/")
    page.wait_for_url(action)


def test_another_website_cannot_sign_a_browser_in_or_out(browser: Browser, chat_server: Server) -> None:
    context = browser.new_context(base_url=chat_server.url)  # the CSP enforced
    try:
        page = context.new_page()
        page.set_default_timeout(10_000)
        visit_evil(page, f"{chat_server.url}/login", {"username": "attacker"})
        expect(page.get_by_role("heading", name="Sent from another website")).to_be_visible()
        page.goto("/")
        expect(page.get_by_role("button", name="Enter chat")).to_be_visible()  # not signed in as attacker

        page.get_by_label("Username").fill("victim")
        page.get_by_role("button", name="Enter chat").click()
        page.locator("#chat[data-connected='true']").wait_for()
        visit_evil(page, f"{chat_server.url}/logout", {})
        expect(page.get_by_role("heading", name="Sent from another website")).to_be_visible()
        page.goto("/")
        page.locator("#chat[data-connected='true']").wait_for()
        expect(page.locator(".whoami")).to_have_text("victim")
    finally:
        context.close()
