"""Events to HTML fragments. Each fragment is rendered once and sent to its whole audience.

Fragments are the `_`-prefixed partials in templates/fragments/, which the full page includes
too, so the first render and the live updates cannot drift. Per-viewer touches (is this my own
message, my own row) come from a per-page stylesheet keyed on `data-key`, not from re-rendering.
"""

from __future__ import annotations

import functools
import itertools
import time
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from app.chat.markdown import render_markdown
from app.chat.model import Member, dom_key
from app.settings import Channel

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
SERVER_NAME = "ChatServer"
WHO_LIST_PART = 32 * 1024  # characters of who-list rows sent together on entry


def template_environment() -> Environment:
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]),
                      trim_blocks=True, lstrip_blocks=True)
    env.filters["dom_key"] = dom_key
    return env


class Renderer:
    """Renders every fragment the socket pushes."""

    def __init__(self, process_id: str, env: Environment | None = None) -> None:
        self.env = env or template_environment()
        self._ids = itertools.count(1)
        self._prefix = process_id[:6]
        self._row = self.env.get_template("fragments/_who_row.html")
        self._message = self.env.get_template("fragments/_message.html")

    def _render(self, name: str, **context: object) -> str:
        return self.env.get_template(name).render(**context)

    # --- the who list --------------------------------------------------------------

    def who_row(self, member: Member, oob: str = "") -> str:
        return self._row.render(member=member, oob=oob)

    def who_list(self, rows: Iterable[str]) -> Iterator[str]:
        """The whole list, from rows already rendered: the list replaced with an empty one, then
        the rows appended in parts of about `WHO_LIST_PART` characters, so that neither a string
        nor a frame grows with the room (a thousand rows would be 300 KB in one piece)."""
        yield self._render("fragments/_who_list.html", rows="", oob=True)
        part: list[str] = []
        size = 0
        for row in rows:
            part.append(row)
            size += len(row)
            if size >= WHO_LIST_PART:
                yield self.who_append(part)
                part, size = [], 0
        if part:
            yield self.who_append(part)

    @staticmethod
    def who_append(rows: list[str]) -> str:
        return f'<ul hx-swap-oob="beforeend:#who-list">{"".join(rows)}</ul>'

    def who_insert(self, row: str, before: Member | None) -> str:
        """A rendered row, placed before the member listed after it (or at the end)."""
        target = f"beforebegin:#who-{before.key}" if before else "beforeend:#who-list"
        return f'<ul hx-swap-oob="{target}">{row}</ul>'

    def who_replace(self, member: Member) -> str:
        return self.who_row(member, oob="outerHTML")

    def who_remove(self, name: str) -> str:
        return f'<li id="who-{dom_key(name)}" hx-swap-oob="delete"></li>'

    def who_count(self, count: int) -> str:
        return f'<span id="who-count" hx-swap-oob="true">{count}</span>'

    # --- messages ------------------------------------------------------------------

    def message(self, *, sender: Member | None, text: str, target_log: str,
                html: str | None = None, kind: str = "chat") -> str:
        """A message appended to the log with id `target_log`. `text` is Markdown."""
        return self.append(target_log, self.message_item(sender=sender, text=text, html=html, kind=kind))

    def message_item(self, *, sender: Member | None, text: str, html: str | None = None,
                     kind: str = "chat", presence: str = "", about: str = "") -> str:
        """The `<article>` of one message, not yet placed anywhere.

        A presence line says `presence` ("joined" or "exited") and whom it is `about` (a
        `dom_key`), so the page can hide such lines or play a sound, but not for its own user."""
        now = time.time()
        body = Markup(html if html is not None else render_markdown(text))
        return self._message.render(
            id=f"m-{self._prefix}-{next(self._ids)}", sender=sender, server_name=SERVER_NAME,
            body=body, ts=int(now * 1000), kind=kind, presence=presence, about=about,
            clock=datetime.fromtimestamp(now, UTC).strftime("%H:%M"))

    @staticmethod
    def append(target_log: str, item: str) -> str:
        """Place a rendered item at the end of the log `target_log`."""
        return f'<div hx-swap-oob="beforeend:#{target_log}">{item}</div>'


    def channel_log(self, channel_id: str) -> str:
        return f"log-{channel_id}"

    def presence(self, channel: Channel, name: str, joined: bool) -> str:
        verb = "has joined the room" if joined else "has exited the room"
        item = self.message_item(sender=None, text="", kind="presence",
                                 html=str(Markup("<p><strong>{}</strong> {}</p>").format(name, verb)),
                                 presence="joined" if joined else "exited", about=dom_key(name))
        return self.append(self.channel_log(channel.id), item)

    def welcome(self, channels: Iterable[Channel]) -> str:
        """Every channel's welcome messages, replacing what a previous connect put there."""
        parts = []
        for channel in channels:
            inner = "".join(self.message_item(sender=None, text="", html=_markdown_once(text), kind="welcome")
                            for text in channel.welcome_messages)
            parts.append(f'<div id="welcome-{channel.id}" hx-swap-oob="innerHTML">{inner}</div>')
        return "".join(parts)

    def closed_banner(self, reason: str) -> str:
        return self._render("fragments/_connection_state.html", state="closed", reason=reason, oob=True)

    def notice(self, text: str, level: str = "error") -> str:
        return self._render("fragments/_notice.html", text=text, level=level)

    # --- direct messages -----------------------------------------------------------

    def thread(self, other: str, first_item: str = "") -> str:
        """A new DM thread with `other`: its tab and its log, holding `first_item` if given.

        The first message must travel inside the new log: htmx resolves every out-of-band
        target of a frame before it swaps any, so a log and a message appended to it cannot
        arrive as two fragments of one frame."""
        return self._render("fragments/_thread.html", other=other, key=dom_key(other),
                            first_item=Markup(first_item))

    def thread_log(self, other: str) -> str:
        return f"log-dm-{dom_key(other)}"

    def thread_close(self, other: str) -> str:
        key = dom_key(other)
        return (f'<li id="dm-tab-{key}" hx-swap-oob="delete"></li>'
                f'<div id="log-dm-{key}" hx-swap-oob="delete"></div>')


@functools.cache
def _markdown_once(text: str) -> str:
    """Welcome messages come from settings: render each one once per process."""
    return render_markdown(text)
