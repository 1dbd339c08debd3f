"""Shared pictures in real Chromium (issue 16): alice shares by the button and by dropping a
file, bob sees the previews, opens one large and closes it with Escape, collapses pictures in
his settings and reveals one, and sees one go when alice takes it back."""

from __future__ import annotations

import base64
import io
from pathlib import Path

from PIL import Image
from playwright.sync_api import Locator, Page, expect

from tests.browser.conftest import UserFactory


def picture_file(tmp_path: Path, name: str, colour: str, size: tuple[int, int]) -> Path:
    path = tmp_path / name
    Image.new("RGB", size, colour).save(path)
    return path


def off_topic(page: Page) -> Locator:
    """Off Topic (the default settings' channel that permits pictures), shown."""
    page.get_by_role("button", name="Off Topic").click()
    return page.get_by_role("log", name="Off Topic")


def drop_file(page: Page, target: str, path: Path, kind: str) -> None:
    """Drop `path` on `target` as a person dragging it from their files would."""
    data = base64.b64encode(path.read_bytes()).decode()
    transfer = page.evaluate_handle(
        """([data, name, kind]) => {
            const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
            const transfer = new DataTransfer();
            transfer.items.add(new File([bytes], name, { type: kind }));
            return transfer;
        }""",
        [data, path.name, kind],
    )
    page.dispatch_event(target, "dragover", {"dataTransfer": transfer})
    page.dispatch_event(target, "drop", {"dataTransfer": transfer})


def loaded(image: Locator) -> None:
    expect(image).not_to_have_js_property("naturalWidth", 0)


def test_share_by_button_and_drop_open_large_collapse_and_take_back(new_user: UserFactory, tmp_path: Path) -> None:
    alice = new_user("alice")
    bob = new_user("bob")
    expect(alice.get_by_role("button", name="Share a picture")).to_be_hidden()  # the Lobby takes none
    alice_log = off_topic(alice)
    bob_log = off_topic(bob)

    with alice.expect_file_chooser() as chooser:
        alice.get_by_role("button", name="Share a picture").click()
    chooser.value.set_files(picture_file(tmp_path, "beach.jpg", "navy", (2000, 1000)))
    first = bob_log.get_by_role("button", name="Open picture from alice")
    expect(first).to_have_count(1)
    loaded(first.get_by_role("img", name="Picture from alice"))
    expect(alice_log.get_by_role("img", name="Picture from alice")).to_have_count(1)

    drop_file(alice, "#log-offtopic", picture_file(tmp_path, "cat.png", "orange", (500, 400)), "image/png")
    expect(bob_log.get_by_role("button", name="Open picture from alice")).to_have_count(2)
    previews = bob_log.locator(".picture-open")  # (also when hidden, as collapsed ones are)

    # Open large, with the mouse, then with Enter; Escape closes it.
    previews.first.click()
    viewer = bob.get_by_role("dialog", name="Picture")
    expect(viewer).to_be_visible()
    large = viewer.get_by_role("img", name="Picture from alice")
    loaded(large)
    expect(large).to_have_js_property("naturalWidth", 1280)  # 2000 wide, shrunk to MaxImageWidth
    bob.keyboard.press("Escape")
    expect(viewer).to_be_hidden()
    expect(previews.first).to_be_focused()
    bob.keyboard.press("Enter")
    expect(viewer).to_be_visible()
    bob.keyboard.press("Escape")
    expect(viewer).to_be_hidden()

    # Collapsed: a button in place of each preview; one click reveals that one.
    bob.get_by_role("button", name="Settings").click()
    bob.get_by_label("Show them collapsed (click to reveal)").check()
    bob.keyboard.press("Escape")
    expect(previews.first).to_be_hidden()
    expect(previews.last).to_be_hidden()
    reveal = bob_log.get_by_role("button", name="Show picture from alice (1280 × 640")
    expect(reveal).to_be_visible()
    reveal.click()
    expect(previews.first).to_be_visible()
    expect(previews.last).to_be_hidden()

    # Taken back by alice: gone from bob's page.
    mine = alice_log.get_by_role("article").filter(has=alice.get_by_role("img", name="Picture from alice")).first
    mine.hover()
    mine.get_by_role("button", name="Take back").click()
    expect(bob_log.locator(".msg[data-picture]")).to_have_count(1)

    # Hidden: no pictures at all.
    bob.get_by_role("button", name="Settings").click()
    bob.get_by_label("Hide pictures").check()
    bob.keyboard.press("Escape")
    expect(bob_log.locator(".msg[data-picture]")).to_be_hidden()


def test_a_picture_pasted_into_the_message_box_is_shared(new_user: UserFactory, tmp_path: Path) -> None:
    alice = new_user("alice")
    off_topic(alice)
    out = io.BytesIO()
    Image.new("RGB", (64, 64), "green").save(out, "PNG")
    alice.get_by_label("Message", exact=True).focus()
    alice.evaluate(
        """(data) => {
            const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
            const transfer = new DataTransfer();
            transfer.items.add(new File([bytes], "pasted.png", { type: "image/png" }));
            const paste = new ClipboardEvent("paste", { clipboardData: transfer, bubbles: true, cancelable: true });
            document.getElementById("message-text").dispatchEvent(paste);
        }""",
        base64.b64encode(out.getvalue()).decode(),
    )
    expect(alice.get_by_role("log", name="Off Topic").get_by_role("img", name="Picture from alice")).to_have_count(1)
