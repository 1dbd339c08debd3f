"""Message ids, recent posts, reactions that converge, and the emoji table (issue 15)."""

from __future__ import annotations

import pytest

from app.broker.memory import MemoryMessages
from app.chat.emoji import EmojiTable
from app.chat.message_ids import MessageIds, is_message_id
from app.chat.posts import Author, LatestVersions, Post, ReactionRefused, toggle_reaction


def test_message_ids_are_unique_well_formed_and_sorted_by_time() -> None:
    first, second = MessageIds(), MessageIds()  # two processes, or one restarted
    ids = [first.next() for _ in range(1000)] + [second.next() for _ in range(1000)]
    assert len(set(ids)) == 2000 and all(is_message_id(i) for i in ids)
    assert ids[:1000] == sorted(ids[:1000])
    assert not is_message_id("m-1") and not is_message_id(ids[0].upper())


def post(message_id: str = "a", ring: str = "lobby") -> Post:
    return Post(id=message_id, ring=ring, author=Author(name="ann"), body="<p>hi</p>", ts=1)


def test_a_reaction_toggles_keeps_order_and_counts_versions() -> None:
    state = toggle_reaction(post(), "👍", "bob", 3)
    state = toggle_reaction(state, "🎉", "cy", 3)
    state = toggle_reaction(state, "👍", "cy", 3)
    assert [(r.emoji, r.names) for r in state.reactions] == [("👍", ("bob", "cy")), ("🎉", ("cy",))]
    state = toggle_reaction(toggle_reaction(state, "🎉", "cy", 3), "👍", "bob", 3)
    assert [(r.emoji, r.names) for r in state.reactions] == [("👍", ("cy",))]
    assert state.version == 5


def test_a_message_collects_a_limited_number_of_different_emoji() -> None:
    state = toggle_reaction(toggle_reaction(post(), "👍", "bob", 2), "🎉", "bob", 2)
    with pytest.raises(ReactionRefused):
        toggle_reaction(state, "🔥", "cy", 2)
    assert toggle_reaction(state, "👍", "cy", 2).reactions[0].names == ("bob", "cy")  # more people: fine


def test_a_later_version_wins_whatever_order_changes_arrive_in() -> None:
    seen = LatestVersions(size=2)
    assert seen.admit("a", 2) and not seen.admit("a", 1) and not seen.admit("a", 2)
    seen.gone("a")
    assert not seen.admit("a", 3)  # taken back: no change comes back
    assert seen.admit("b", 1) and seen.admit("c", 1) and seen.admit("a", 1)  # bounded: "a" was forgotten


async def test_each_ring_keeps_its_latest_posts_and_forgets_the_rest() -> None:
    store = MemoryMessages()
    for number in range(5):
        await store.record(post(f"l{number}"), keep=3)
    await store.record(post("o1", ring="offtopic"), keep=3)
    assert [p.id for p in await store.recent("lobby", 10)] == ["l2", "l3", "l4"]
    assert await store.find("l1") is None and await store.react("l0", "👍", "bob", 5) is None
    assert (await store.remove("l3")) is not None and await store.remove("l3") is None
    assert [p.id for p in await store.recent("lobby", 2)] == ["l2", "l4"]
    changed = await store.react("l4", "👍", "bob", 5)
    assert changed is not None and (await store.recent("lobby", 1))[0].reactions == changed.reactions


def test_emoji_are_known_in_either_spelling() -> None:
    table = EmojiTable([("❤️", ["heart"]), ("👍️", ["+1"])], extra=["🦄"])
    assert table.canonical("❤") == table.canonical("❤️") == "❤️"
    assert table.canonical("🦄") == "🦄" and table.canonical("x") is None and table.canonical("") is None
