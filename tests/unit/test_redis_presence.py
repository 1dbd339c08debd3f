"""The Redis broker's view of everyone: delivery that can be replayed without showing anyone twice."""

from __future__ import annotations

from app.broker.redis_presence import Presence
from app.chat.events import ChannelPost, Event, Joined, Left, Updated
from app.chat.model import Member


def member(name: str, process: str = "other", conn: str = "c1", camera: str = "off") -> Member:
    return Member(name=name, sid="s", process=process, conn=conn, camera=camera)  # type: ignore[arg-type]


def presence() -> tuple[Presence, list[Event]]:
    seen: list[Event] = []
    view = Presence("here")
    view.handler = seen.append
    return view, seen


def test_a_repeated_join_becomes_an_update_and_a_repeated_update_is_dropped() -> None:
    view, seen = presence()
    alice = member("alice")
    view.deliver(Joined(alice))
    view.deliver(Joined(alice))
    view.deliver(Updated(alice.with_changes(camera="on")))
    view.deliver(Updated(alice.with_changes(camera="on")))
    assert seen == [Joined(alice), Updated(alice.with_changes(camera="on"))]


def test_an_update_for_someone_unknown_is_a_join() -> None:
    view, seen = presence()
    view.deliver(Updated(member("bob")))
    assert seen == [Joined(member("bob"))]


def test_a_left_counts_only_for_the_connection_holding_the_name() -> None:
    view, seen = presence()
    view.deliver(Joined(member("alice", conn="new")))
    view.deliver(Left("alice", "old"))
    view.deliver(Left("carol", "c9"))
    assert "alice" in view.view and seen == [Joined(member("alice", conn="new"))]
    view.deliver(Left("alice", "new"))
    assert view.view == {} and seen[-1] == Left("alice", "new")


def test_other_events_pass_through() -> None:
    view, seen = presence()
    view.deliver(ChannelPost("<p>hi</p>"))
    assert seen == [ChannelPost("<p>hi</p>")]


def test_resync_adds_the_missing_drops_the_gone_and_keeps_our_own() -> None:
    view, seen = presence()
    mine = member("me", process="here", conn="m1")
    view.hold(mine)
    view.deliver(Joined(mine))
    view.deliver(Joined(member("gone")))
    view.deliver(Joined(member("stays")))
    seen.clear()
    view.resync({"stays": member("stays"), "new": member("new"), "me": mine})
    assert seen == [Left("gone", "c1", "lost"), Joined(member("new"))]
    assert set(view.view) == {"me", "stays", "new"}


def test_a_failing_room_does_not_stop_delivery() -> None:
    view = Presence("here")
    calls: list[Event] = []

    def fragile(event: Event) -> None:
        calls.append(event)
        raise RuntimeError("boom")

    view.handler = fragile
    view.deliver(Joined(member("a")))
    view.deliver(Joined(member("b")))
    assert len(calls) == 2
