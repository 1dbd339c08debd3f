"""Two people in real Chromium: see each other, chat in a channel and a DM, unread badges, leaving."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import expect

from tests.browser.conftest import UserFactory, start_dm
from tests.support import running_server


def test_two_people_chat_in_a_channel_and_a_dm(new_user: UserFactory) -> None:
    alice = new_user("alice")
    bob = new_user("bob")
    who_alice = alice.get_by_role("region", name="Who's online")
    who_bob = bob.get_by_role("region", name="Who's online")
    expect(who_alice.get_by_role("button", name="bob")).to_be_visible()
    expect(who_bob.get_by_role("button", name="alice")).to_be_visible()

    alice.get_by_label("Message", exact=True).fill("hello **bob**")
    alice.get_by_label("Message", exact=True).press("Enter")
    lobby_bob = bob.get_by_role("log", name="Lobby")
    expect(lobby_bob.locator(".msg.is-chat strong", has_text="bob")).to_be_visible()
    expect(alice.get_by_label("Message", exact=True)).to_have_value("")

    # A message in another channel shows an unread badge until bob opens it.
    alice.get_by_role("button", name="Off Topic").click()
    alice.get_by_label("Message", exact=True).fill("over here")
    alice.get_by_label("Message", exact=True).press("Enter")
    off_topic_tab = bob.get_by_role("button", name="Off Topic")
    expect(off_topic_tab.locator(".unread")).to_have_text("1")
    off_topic_tab.click()
    expect(bob.get_by_role("log", name="Off Topic")).to_contain_text("over here")
    expect(off_topic_tab.locator(".unread")).to_be_hidden()

    # A DM: bob clicks alice's name, writes; alice gets a thread with a badge.
    start_dm(bob, "alice")
    expect(bob.get_by_role("log", name="Conversation with alice")).to_be_visible()
    bob.get_by_label("Message", exact=True).fill("psst")
    bob.get_by_label("Message", exact=True).press("Enter")
    dm_tab = alice.locator(".dm-tab .channel-tab", has_text="bob")
    expect(dm_tab.locator(".unread")).to_have_text("1")
    dm_tab.click()
    expect(alice.get_by_role("log", name="Conversation with bob")).to_contain_text("psst")

    # Bob leaves: his row disappears from alice's list.
    bob.context.close()
    expect(who_alice.get_by_role("button", name="bob")).to_have_count(0)
    alice.get_by_role("button", name="Lobby").click()
    expect(alice.get_by_role("log", name="Lobby")).to_contain_text("bob has exited the room")


def test_the_chat_page_loads_without_a_failed_request_or_script_error(new_user: UserFactory) -> None:
    alice = new_user("alice", enter=False)
    failed: list[str] = []
    errors: list[str] = []
    alice.on(
        "response",
        lambda response: failed.append(f"{response.status} {response.url}") if response.status >= 400 else None,
    )
    alice.on("pageerror", lambda error: errors.append(str(error)))
    alice.get_by_label("Username").fill("alice")
    alice.get_by_role("button", name="Enter chat").click()
    alice.locator("#chat[data-connected='true']").wait_for()
    alice.reload()
    alice.locator("#chat[data-connected='true']").wait_for()
    alice.wait_for_load_state("networkidle")
    assert failed == [] and errors == []


def test_who_list_changes_that_reach_a_page_in_one_frame_all_apply(new_user: UserFactory, tmp_path: Path) -> None:
    """Under load the server joins what piled up for a page into one frame. A row placed before a
    row from the same frame, and a row that came and went within it, must still come out right."""
    with running_server(tmp_path / "coalescing", Limits={"CoalesceMilliseconds": 6000}) as server:
        zoe = new_user("zoe", server=server)
        who = zoe.get_by_role("region", name="Who's online")
        expect(who.get_by_role("button", name="zoe")).to_be_visible()
        zoe.wait_for_timeout(6500)  # quiet for a tick: the next change goes out at once
        new_user("dave", server=server)
        expect(who.get_by_role("button", name="dave")).to_be_visible()
        # From here until the next tick, six seconds on, everything reaches zoe in one frame.
        carol = new_user("carol", server=server)
        new_user("bob", server=server)
        eve = new_user("eve", server=server)
        eve.close()
        expect(who.locator(".who-name")).to_have_text(["bob", "carol", "dave", "zoe"], timeout=15_000)
        expect(carol.get_by_role("region", name="Who's online").locator(".who-name")).to_have_text(
            ["bob", "carol", "dave", "zoe"]
        )


def test_a_dm_typed_before_the_thread_opens_goes_to_that_person_not_the_channel(new_user: UserFactory) -> None:
    alice = new_user("alice")
    bob = new_user("bob")
    bob.get_by_role("region", name="Who's online").get_by_role("button", name="alice").click()
    expect(bob.get_by_role("dialog", name="alice").get_by_role("button", name="Send a message")).to_be_visible()
    # In one script turn: the click, then where the composer would send. No frame from the
    # server can arrive in between, so this is the moment before the thread exists.
    target = bob.evaluate("""() => {
        document.querySelector('#profile-card [data-opens-thread]').click();
        return document.getElementById('composer-channel').value;
    }""")
    assert target == "@alice"
    bob.get_by_label("Message", exact=True).fill("just between us")
    bob.get_by_label("Message", exact=True).press("Enter")
    dm_tab = alice.locator(".dm-tab .channel-tab", has_text="bob")
    expect(dm_tab.locator(".unread")).to_have_text("1")
    expect(alice.get_by_role("log", name="Lobby")).not_to_contain_text("just between us")
    expect(bob.get_by_role("log", name="Conversation with alice")).to_contain_text("just between us")
