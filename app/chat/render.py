"""Events to HTML fragments. Each fragment is rendered once and sent to its whole audience.

Every fragment is a `_`-prefixed partial in templates/fragments/, which the full page includes
too, so the first render and the live updates cannot drift; no HTML is written in Python.
Per-viewer touches (is this my own message, my own row) come from a per-page stylesheet keyed
on `data-key`, not from re-rendering.

`template_environment()` is the one Jinja environment of the application: the web layer adds
its globals (asset URLs, settings) to it and renders its pages with it too.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, Template, select_autoescape
from markupsafe import Markup

from app.chat.avatars import avatar_colour, initials
from app.chat.cards import Card
from app.chat.markdown import render_markdown
from app.chat.message_ids import MessageIds
from app.chat.model import Member, Ref, dom_key
from app.chat.posts import Author, Picture, Post, Reaction
from app.chat.stored import PartnerPage, PartnerSort
from app.chat.website import ProfileField
from app.settings import ONLINE, Channel, ChatStatus, Settings

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
SERVER_NAME = "ChatServer"
WHO_LIST_PART = 32 * 1024  # characters of who-list rows sent together on entry
REACTORS_SHOWN = 20
LEFT_WORDS = {
    "exited": "has exited the room",
    "kicked": "has been kicked from the room",
    "banned": "has been banned from the room",
}  # names listed on a reaction; the rest are "and N more"


def template_environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]), trim_blocks=True, lstrip_blocks=True
    )
    env.filters["dom_key"] = dom_key
    env.filters["initials"] = initials
    env.filters["avatar_colour"] = avatar_colour
    return env


@dataclass(frozen=True)
class SavedThread:
    """What a DM thread whose messages are saved shows above the live ones."""

    disclaimer: str  # the operator's HTML (`DirectMessageHistory.DisclaimerMessage`)
    items: str = ""  # rendered `<article>`s, oldest first
    before: int = 0  # the row to page back from for `Load earlier messages` (0: no more)
    loaded: bool = False  # True once a page was read: at the start, say it is the start


@dataclass(frozen=True)
class PartnerListing:
    """One page of the History dialog's list, or a sentence instead of it."""

    sort: PartnerSort = "newest"
    page: PartnerPage | None = None
    number: int = 1
    problem: str = ""


class Renderer:
    """Renders every fragment the socket pushes."""

    def __init__(self, env: Environment, settings: Settings) -> None:
        self.env = env
        self.ids = MessageIds()
        self._templates: dict[str, Template] = {}
        self.report_button = False  # messages carry a Report button (the website takes reports)
        self.reconfigure(settings)

    def reconfigure(self, settings: Settings) -> None:
        """Render with these settings from now on (a live reload)."""
        self.settings = settings
        self.statuses: dict[str, ChatStatus] = {status.id: status for status in settings.statuses}

    def _render(self, fragment: str, **context: object) -> str:
        template = self._templates.get(fragment)
        if template is None:
            template = self._templates[fragment] = self.env.get_template(f"fragments/_{fragment}.html")
        return template.render(**context)

    # --- the who list --------------------------------------------------------------

    def who_row(self, member: Member, oob: str = "", *, muted: bool = False, camera_hidden: bool = False) -> str:
        """A member's who-list row. Variants: `muted` (the viewer muted them: marked, with an
        Unmute button), `camera_hidden` (they muted the viewer: their camera is not offered)."""
        return self._render(
            "who_row",
            member=member,
            oob=oob,
            unmute=muted,
            camera="off" if camera_hidden else member.camera,
            status=self.statuses.get(member.shown_status) if member.shown_status != "online" else None,
            vip=self.settings.vip,
        )

    def who_list(self, rows: Iterable[str]) -> Iterator[str]:
        """The whole list, from rows already rendered: the list replaced with an empty one, then
        the rows appended in parts of about `WHO_LIST_PART` characters, so that neither a string
        nor a frame grows with the room (a thousand rows would be 300 KB in one piece)."""
        yield self._render("who_list", rows="", oob=True)
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

    def who_append(self, rows: list[str]) -> str:
        return self._render("who_append", rows=Markup("".join(rows)))

    def who_insert(self, row: str, before: Member | None) -> str:
        """A rendered row, placed before the member listed after it (or at the end)."""
        return self._render("who_insert", row=Markup(row), before=before)

    def who_replace(self, member: Member) -> str:
        return self.who_row(member, oob="outerHTML")

    def who_remove(self, name: str) -> str:
        return self._render("who_remove", key=dom_key(name))

    def who_counts(self, count: int, cameras: int) -> str:
        """The number of people in the list and of cameras on, for the heading and the summary."""
        return self._render("who_count", count=count, oob=True) + self._render("who_cameras", count=cameras, oob=True)

    # --- messages ------------------------------------------------------------------

    def post(self, post: Post, *, echo: bool = False) -> str:
        """The `<article>` of a person's message, with its reactions, not yet placed anywhere;
        `echo` marks one replayed to someone entering (no unread count, no sound)."""
        return self._article(
            post.id,
            post.ts,
            author=post.author,
            body=post.body,
            mentions=post.mentions,
            reactions=post.reactions,
            echo=echo,
            picture=post.picture,
        )

    def new_post(
        self, author: Member, body: str, *, ring: str, recipient: str = "", mentions: tuple[str, ...] = ()
    ) -> Post:
        """A fresh post with a new id and the time now; `body` is sanitized HTML."""
        return Post(
            id=self.ids.next(),
            ring=ring,
            author=Author.of(author),
            body=body,
            ts=int(time.time() * 1000),
            recipient=recipient,
            mentions=mentions,
        )

    def server_item(self, html: str, *, kind: str = "presence", presence: str = "", about: str = "") -> str:
        """The `<article>` of a line from the server. `html` comes from a template or the Markdown
        sanitizer, never user text. A presence line says `presence` ("joined" or "exited") and
        whom it is `about` (a `dom_key`), so the page can hide such lines or play a sound, but
        not for its own user."""
        return self._article(
            self.ids.next(), int(time.time() * 1000), body=html, kind=kind, presence=presence, about=about
        )

    def _article(
        self,
        message_id: str,
        ts: int,
        *,
        body: str,
        author: Author | None = None,
        kind: str = "chat",
        mentions: tuple[str, ...] = (),
        reactions: tuple[object, ...] = (),
        presence: str = "",
        about: str = "",
        echo: bool = False,
        picture: Picture | None = None,
    ) -> str:
        return self._render(
            "message",
            picture=picture,
            picture_gone=picture is not None and picture.expires <= time.time() * 1000,
            keep_minutes=self.settings.photos.keep_minutes,
            id=message_id,
            author=author,
            server_name=SERVER_NAME,
            body=Markup(body),
            ts=ts,
            kind=kind,
            mentions=mentions,
            reactions=reactions,
            max_names=REACTORS_SHOWN,
            presence=presence,
            about=about,
            echo=echo,
            report=self.report_button,
            clock=datetime.fromtimestamp(ts / 1000, UTC).strftime("%H:%M"),
        )

    def reactions(self, message_id: str, reactions: tuple[Reaction, ...]) -> str:
        """A message's reactions, replacing the ones it shows."""
        return self._render("reactions", id=message_id, reactions=reactions, max_names=REACTORS_SHOWN, oob=True)

    def taken_back(self, message_id: str, *, placeholder: bool) -> str:
        return self._render("taken_back", id=message_id, placeholder=placeholder)

    def typing(self, target_log: str, names: list[str]) -> str:
        """Who is typing in a log, as one audience sees it."""
        return self._render("typing", log=target_log, names=names)

    def append(self, target_log: str, item: str) -> str:
        """Place a rendered item at the end of the log `target_log`."""
        return self._render("append", log=target_log, item=Markup(item))

    def line(self, text: str, *, name: str = "") -> str:
        """A one-line body for a server message: `name` in bold, then `text`."""
        return self._render("line", name=name, text=text)

    def channel_log(self, channel_id: str) -> str:
        return f"log-{channel_id}"

    def presence(self, channel: Channel, name: str, joined: bool, how: str = "exited") -> str:
        """ "NAME has joined the room", or has left it: `how` is exited, kicked or banned."""
        verb = "has joined the room" if joined else LEFT_WORDS.get(how, LEFT_WORDS["exited"])
        item = self.server_item(
            self.line(verb, name=name), presence="joined" if joined else "exited", about=dom_key(name)
        )
        return self.append(self.channel_log(channel.id), item)

    def server_line(self, target_log: str, text: str) -> str:
        """A line from the server (no sender) at the end of a log, such as "bob has left the room."."""
        return self.append(target_log, self.server_item(self.line(text)))

    def welcome(self, channels: Iterable[Channel]) -> str:
        """Every channel's welcome messages, replacing what a previous connect put there."""
        parts = []
        for channel in channels:
            parts.append(self._render("welcome", channel=channel, items=self._welcome_items(channel), oob=True))
        return "".join(parts)

    def _welcome_items(self, channel: Channel) -> Markup:
        return Markup(
            "".join(self.server_item(_markdown_once(text), kind="welcome") for text in channel.welcome_messages)
        )

    def closed_banner(self, reason: str, way_back: str = "/") -> str:
        """The page's banner for a socket closed for good: why, and the link `way_back` in."""
        return self._render("connection_state", state="closed", reason=reason, way_back=way_back, oob=True)

    def notice(self, text: str, level: str = "error") -> str:
        """A notice at the top of the page's notices: "error" stays until dismissed, "info" goes
        by itself after a few seconds (templates/fragments/_notice_item.html)."""
        return self._render("notice", text=text, level=level)

    # --- people --------------------------------------------------------------------

    def profile_card(self, card: Card) -> str:
        """One person's card for the viewer who asked (it replaces the dialog's content)."""
        return self._render("profile_card", card=card, member=card.member, settings=self.settings)

    def my_relations(self, mutes: Iterable[Ref], blocks: Iterable[Ref]) -> str:
        """The people I muted or blocked, each with the button that lifts it (Settings dialog)."""
        return self._render("relations", mutes=list(mutes), blocks=list(blocks), oob=True)

    def profile_fields(self, member: Member, fields: Iterable[ProfileField], *, problem: str = "") -> str:
        """What the website says about `member`, into the place their card keeps for it."""
        return self._render("profile_fields", member=member, fields=tuple(fields), problem=problem, oob=True)

    def channel_access(self, channel: Channel, *, granted: bool) -> str:
        """A channel's tab, log (with its welcome messages) and typing line added for someone
        who may now see it (a VIP channel, or a new one after a reload), or removed."""
        items = self._welcome_items(channel) if granted else Markup("")
        return self._render("channel_access", channel=channel, granted=granted, items=items)

    # --- direct messages -----------------------------------------------------------

    def echo(self, target_log: str, posts: Iterable[Post]) -> str:
        """A channel's recent messages for someone entering the chat."""
        return self.append(target_log, "".join(self.post(post, echo=True) for post in posts))

    def thread(
        self, other: str, first_item: str = "", *, saved: SavedThread | None = None, partner: Member | None = None
    ) -> str:
        """A new DM thread with `other` (`partner`, when present): its tab, its header and its
        log, holding `first_item` if given.

        The first message must travel inside the new log: htmx resolves every out-of-band
        target of a frame before it swaps any, so a log and a message appended to it cannot
        arrive as two fragments of one frame. A thread whose messages are saved (`saved`)
        starts with the disclaimer and the place for earlier messages (see history_page)."""
        head = Markup(self._conversation_head(other, partner, oob=False))
        return self._render(
            "thread",
            other=other,
            key=dom_key(other),
            first_item=Markup(first_item),
            saved=saved,
            photos=self.settings.photos.permit_in_dms,
            head=head,
        )

    def thread_head(self, other: str, partner: Member | None) -> str:
        """What the header of a DM thread with `other` says now: `partner`'s avatar, name and
        status, or (None) that they left the chat; it replaces what the header shows."""
        return self._conversation_head(other, partner, oob=True)

    def _conversation_head(self, other: str, partner: Member | None, *, oob: bool) -> str:
        status = self.statuses.get(partner.shown_status, ONLINE) if partner is not None else ONLINE
        return self._render(
            "conversation_head",
            log=self.thread_log(other),
            other=other,
            partner=partner,
            status=status,
            gone=partner is None,
            channel=None,
            hidden=True,
            oob=oob,
        )

    def thread_log(self, other: str) -> str:
        return f"log-dm-{dom_key(other)}"

    def thread_close(self, other: str) -> str:
        return self._render("thread_close", key=dom_key(other))

    # --- saved direct messages (chat/dm_history.py) ----------------------------------

    def history_items(self, posts: Iterable[Post]) -> str:
        """Saved messages as `<article>`s with the ids they had live (not counted as new)."""
        return "".join(self.post(post, echo=True) for post in posts)

    def history_page(self, other: str, page: SavedThread) -> str:
        """A page of earlier messages, put above those shown, and the button for the next."""
        return self._render("history_page", other=other, key=dom_key(other), page=page)

    def history_cleared(self, others: Iterable[str]) -> str:
        """Every saved message taken out of the threads with `others` (after an erase)."""
        return self._render("history_cleared", keys=[dom_key(other) for other in others])

    def history_partners(self, listing: PartnerListing) -> str:
        """The History dialog's list of past partners (or why there is none)."""
        return self._render("history_partners", listing=listing)


@functools.cache
def _markdown_once(text: str) -> str:
    """Welcome messages come from settings: render each one once per process."""
    return render_markdown(text)
