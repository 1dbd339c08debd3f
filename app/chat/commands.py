"""Operator slash commands (`/kick`, `/ban`, ...), typed in the message box.

Each command is a row in `COMMANDS`: its usage line, what it does, and a handler that acts and
returns the reply for the caller, or raises `CommandError` with a refusal or a usage line. A
caller who is not an operator sees only `/help`; anything else starting with `/` is "unknown".

Operators rank: a JWT operator (the host site said so) outranks one made with `/op`, who
outranks everyone else. Kick, ban, deop and NSFW-tagging need a caller who outranks the target,
so nobody acts on themselves, and operators of equal rank cannot act on each other. The
commands that act on the whole chat (`/kickall`, `/shutdown`, `/reconfigure`) are for
operators by the website only. `/help` lists the everyday commands, `/help-advanced` the rest,
as in the 2025 BareRTC.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Literal, Protocol

from app.chat.close_codes import Close
from app.chat.model import Member
from app.chat.website import Report, nsfw_report
from app.settings import Settings, SettingsError
from app.settings.live import ReloadPlan

log = logging.getLogger("app.commands")

DEFAULT_BAN_HOURS = 24.0
MAX_BAN_HOURS = 24.0 * 365
_NUMBER = re.compile(r"^[-+]?(\d+\.?\d*|\.\d+)$")


class Moderation(Protocol):
    """What commands may do to the room: no more than this (the room provides it)."""

    @property
    def settings(self) -> Settings: ...
    @property
    def roster(self) -> Mapping[str, Member]:
        """Everyone present, by name."""
        ...

    async def disconnect(self, member: Member, code: Close, reason: str) -> None:
        """Close `member`'s socket, wherever it is."""

    async def update_member(self, member: Member) -> None:
        """Record a member's new state (camera, operator) and update every who list."""

    async def notify(self, name: str, text: str) -> None:
        """An information notice for one person."""

    async def cut_camera(self, member: Member, operator: str) -> None:
        """Turn `member`'s camera off: the who list, the links it sends on, and their page."""

    async def ban(self, name: str, until: float) -> None: ...
    async def unban(self, name: str) -> bool: ...
    async def bans(self) -> dict[str, float]: ...

    def report(self, report: Report) -> None:
        """Send a report to the website (when it takes reports)."""

    async def shut_down(self, by: str) -> None:
        """Every process closes its sockets (1012) and exits, for the supervisor to restart it."""

    async def reload_settings(self) -> ReloadPlan:
        """Read the settings file again (SettingsError when it is wrong) and apply it everywhere."""


class CommandError(Exception):
    """A refusal or usage line for the caller."""


@dataclass(frozen=True)
class Reply:
    """What the caller is told: `info` for what happened, `error` for a refusal."""

    text: str
    level: Literal["info", "error"] = "info"


@dataclass(frozen=True)
class Call:
    """One command as typed: who typed it, and the rest of the line."""

    room: Moderation
    caller: Member
    args: str


Handler = Callable[[Call], Awaitable[str]]


@dataclass(frozen=True)
class Command:
    usage: str
    summary: str
    handler: Handler
    for_everyone: bool = False
    advanced: bool = False  # listed by /help-advanced
    site_operators: bool = False  # for operators by the website (JWT) only


async def run(room: Moderation, caller: Member, text: str) -> Reply:
    """Run the command in `text` for `caller`; returns what to tell them."""
    word, *rest = text.split(maxsplit=1)
    command = COMMANDS.get(word[1:].lower())
    if command is None or not (command.for_everyone or caller.op):
        return Reply(
            f"Unknown command {word[:30]}. Messages that start with / are commands; "
            "type /help for the list, or // to post a message that starts with /.",
            "error",
        )
    if command.site_operators and rank(caller) < SITE_OPERATOR:
        return Reply(f"Only operators by the website may use /{word[1:].lower()}.", "error")
    try:
        return Reply(await command.handler(Call(room, caller, " ".join("".join(rest).split()))))
    except CommandError as error:
        return Reply(str(error), "error")


# --- the commands ---------------------------------------------------------------------


async def kick(call: Call) -> str:
    return await kick_member(call, _target(call, "kick"))


async def ban(call: Call) -> str:
    name, hours = _name_and_hours(call.args)
    return await ban_member(call, _target(call, "ban", name), hours)


# The one way a kick or a ban happens: `/kick` and `/ban` typed in the message box, and the Kick
# and Ban dialogs of the profile card (the `kick` and `ban` frames, with a reason, chat/people.py).
# A report to the host site about the kick or ban belongs here, once for both ways.


async def kick_member(call: Call, target: Member, reason: str = "") -> str:
    """Disconnect `target` (whom the caller may act on: see `target_for`)."""
    because = f": {reason}" if reason else "."
    await call.room.disconnect(
        target, Close.KICKED, f"You have been kicked from the chat by {call.caller.name}{because}"
    )
    _log(call, "kick", target.name, reason)
    return f"{target.name} has been kicked."


async def ban_member(call: Call, target: Member, hours: float, reason: str = "") -> str:
    """Ban `target` for `hours` and disconnect them."""
    length = duration_words(hours * 3600)
    await call.room.ban(target.name, time.time() + hours * 3600)
    because = f": {reason}" if reason else "."
    text = f"You have been banned from the chat by {call.caller.name} for {length}{because}"
    await call.room.disconnect(target, Close.BANNED, text)
    _log(call, "ban", target.name, f"{hours:g} hours" + (f"; {reason}" if reason else ""))
    return f"{target.name} has been banned for {length}."


def target_for(call: Call, verb: str, name: str) -> Member:
    """The present member named `name` whom the caller may `verb` (kick, ban), or CommandError."""
    if not call.caller.op:
        raise CommandError(f"Only operators may {verb} people.")
    return _target(call, verb, name)


async def unban(call: Call) -> str:
    if not call.args:
        raise CommandError(_usage("unban"))
    if not await call.room.unban(call.args):
        raise CommandError(f"{call.args} is not banned.")
    _log(call, "unban", call.args)
    return f"{call.args} is no longer banned."


async def bans(call: Call) -> str:
    current = await call.room.bans()
    if not current:
        return "Nobody is banned."
    now = time.time()
    listed = "; ".join(
        f"{name} for another {duration_words(until - now)}"
        for name, until in sorted(current.items(), key=lambda item: item[1])
    )
    return f"Banned: {listed}."


async def op(call: Call) -> str:
    target = _present(call, _required(call, "op"))
    if target.op:
        raise CommandError(f"{target.name} is already an operator.")
    await call.room.update_member(target.with_changes(op=True))
    await _tell(call, target, f"{call.caller.name} made you an operator until you leave; type /help for your commands.")
    _log(call, "op", target.name)
    return f"{target.name} is now an operator, until they leave."


async def deop(call: Call) -> str:
    target = _present(call, _required(call, "deop"))
    if target.name == call.caller.name:
        raise CommandError("You cannot deop yourself.")
    if not target.op:
        raise CommandError(f"{target.name} is not an operator.")
    if target.jwt_op:
        raise CommandError(f"{target.name} is an operator by the website; that cannot be removed here.")
    _check_rank(call, target, "deop")
    await call.room.update_member(target.with_changes(op=False))
    await _tell(call, target, f"{call.caller.name} removed your operator rights.")
    _log(call, "deop", target.name)
    return f"{target.name} is no longer an operator."


async def nsfw(call: Call) -> str:
    if not call.room.settings.permit_nsfw:
        raise CommandError("NSFW tagging is off on this chat (PermitNSFW is false).")
    target = _present(call, _required(call, "nsfw"))
    if target.name != call.caller.name:
        _check_rank(call, target, "tag the camera of")
    if target.camera == "off":
        raise CommandError(f"{target.name}'s camera is not on.")
    if target.camera == "nsfw":
        raise CommandError(f"{target.name}'s camera is already tagged NSFW.")
    await call.room.update_member(target.with_changes(camera="nsfw"))
    await _tell(call, target, f"{call.caller.name} tagged your camera NSFW: viewers are warned before it opens.")
    _log(call, "nsfw", target.name)
    call.room.report(nsfw_report(call.caller.name, target.name))
    return f"{target.name}'s camera is now tagged NSFW."


async def cut(call: Call) -> str:
    target = _present(call, _required(call, "cut"))
    if target.name == call.caller.name:
        raise CommandError("That is you: Stop webcam turns your own camera off.")
    _check_rank(call, target, "cut the camera of")
    if target.camera == "off":
        raise CommandError(f"{target.name}'s camera is not on.")
    await call.room.cut_camera(target, call.caller.name)
    await _tell(call, target, f"{call.caller.name}, an operator, turned your camera off.")
    _log(call, "cut", target.name)
    return f"{target.name}'s camera is off."


async def kickall(call: Call) -> str:
    landing = call.room.settings.jwt.landing_page_url
    back = "Open the chat again from the website." if landing else "Reload the page to come back in."
    reason = f"An operator asked everyone to sign in again (the chat has changed). {back}"
    others = [member for member in call.room.roster.values() if member.name != call.caller.name]
    for member in others:
        await call.room.disconnect(member, Close.KICKED, reason)
    _log(call, "kickall", f"{len(others)} people")
    return f"Everyone else ({len(others)} {'person' if len(others) == 1 else 'people'}) was signed out of the chat."


async def shutdown(call: Call) -> str:
    _log(call, "shutdown", "the chat")
    await call.room.shut_down(call.caller.name)
    return "The chat server is shutting down; its supervisor should start it again."


async def reconfigure(call: Call) -> str:
    try:
        plan = await call.room.reload_settings()
    except SettingsError as error:
        raise CommandError(f"The settings were not reloaded: {error}") from None
    _log(call, "reconfigure", "the settings")
    changed = f"{', '.join(plan.applied)} changed" if plan.applied else "nothing that applies now changed"
    held = f" These wait for a restart: {', '.join(plan.held)}." if plan.held else ""
    return f"Settings reloaded: {changed}.{held}"


async def help_(call: Call) -> str:
    if not call.caller.op:
        return "You may use /help; the other commands are for operators."
    return _listing(advanced=False) + " Type /help-advanced for the commands that act on the whole chat."


async def help_advanced(call: Call) -> str:
    if not call.caller.op:
        return "You may use /help; the other commands are for operators."
    return _listing(advanced=True) + " /kickall, /shutdown and /reconfigure are for operators by the website only."


def _listing(*, advanced: bool) -> str:
    chosen = [command for command in COMMANDS.values() if command.advanced == advanced]
    return "Commands: " + " · ".join(f"{command.usage} — {command.summary}" for command in chosen) + "."


COMMANDS: dict[str, Command] = {
    "kick": Command("/kick name", "disconnect someone; they may come back", kick),
    "ban": Command(
        "/ban name [hours]",
        f"kick and keep out for {DEFAULT_BAN_HOURS:g} hours or the hours given (0.5 is thirty minutes)",
        ban,
    ),
    "unban": Command("/unban name", "lift a ban", unban),
    "bans": Command("/bans", "who is banned, and for how long", bans),
    "nsfw": Command("/nsfw name", "tag someone's camera NSFW (the website is told)", nsfw),
    "cut": Command("/cut name", "turn someone's camera off (they are told who did it)", cut),
    "help": Command("/help", "this list", help_, for_everyone=True),
    "op": Command("/op name", "make someone an operator until they leave", op, advanced=True),
    "deop": Command("/deop name", "remove operator rights given with /op", deop, advanced=True),
    "kickall": Command(
        "/kickall", "sign everyone else out; they come back in anew", kickall, advanced=True, site_operators=True
    ),
    "shutdown": Command(
        "/shutdown",
        "restart the chat server: every socket closes and reconnects, the supervisor starts it again",
        shutdown,
        advanced=True,
        site_operators=True,
    ),
    "reconfigure": Command(
        "/reconfigure",
        "read settings.toml again: channels, welcome messages, limits, filters and more change now",
        reconfigure,
        advanced=True,
        site_operators=True,
    ),
    "help-advanced": Command("/help-advanced", "this list", help_advanced, advanced=True),
}


# --- helpers ----------------------------------------------------------------------------


SITE_OPERATOR = 2


def rank(member: Member) -> int:
    """2 for a JWT operator, 1 for one made with /op, 0 for everyone else."""
    return 2 if member.jwt_op else 1 if member.op else 0


def _target(call: Call, verb: str, name: str | None = None) -> Member:
    """The present member a kick or ban is aimed at, if the caller may act on them."""
    target = _present(call, name if name is not None else _required(call, verb))
    if target.name == call.caller.name:
        raise CommandError(f"You cannot {verb} yourself.")
    _check_rank(call, target, verb)
    return target


def _check_rank(call: Call, target: Member, verb: str) -> None:
    if rank(call.caller) <= rank(target):
        raise CommandError(f"{target.name} is an operator too; you cannot {verb} them.")


def _required(call: Call, command: str) -> str:
    if not call.args:
        raise CommandError(_usage(command))
    return call.args


def _usage(command: str) -> str:
    return f"Usage: {COMMANDS[command].usage} — {COMMANDS[command].summary}."


def _present(call: Call, name: str) -> Member:
    """Someone in the room by name: exactly, or in another letter case if only one matches."""
    roster = call.room.roster
    if name in roster:
        return roster[name]
    matches = [member for member in roster.values() if member.name.casefold() == name.casefold()]
    if len(matches) != 1:
        raise CommandError(f"No user named {name[:40]} is here.")
    return matches[0]


def _name_and_hours(args: str) -> tuple[str, float]:
    """`/ban name [hours]`: a number at the end is the hours."""
    name, _, last = args.rpartition(" ")
    if not name or not _NUMBER.match(last):
        if not args:
            raise CommandError(_usage("ban"))
        return args, DEFAULT_BAN_HOURS
    hours = float(last)
    if not 0 < hours <= MAX_BAN_HOURS:
        raise CommandError(
            f"A ban lasts more than 0 and at most {MAX_BAN_HOURS:g} hours (0.5 is thirty minutes). {_usage('ban')}"
        )
    return name, hours


def duration_words(seconds: float) -> str:
    """`7260` -> "2 hours 1 minute": the two largest units, at least one second."""
    left = max(1, round(seconds))
    parts = []
    for unit, size in (("hour", 3600), ("minute", 60), ("second", 1)):
        count, left = divmod(left, size)
        if count:
            parts.append(f"{count} {unit}{'' if count == 1 else 's'}")
    return " ".join(parts[:2])


async def _tell(call: Call, target: Member, text: str) -> None:
    await call.room.notify(target.name, text)


def _log(call: Call, action: str, target: str, detail: str = "") -> None:
    log.info("operator %r: %s %r%s", call.caller.name, action, target, f" ({detail})" if detail else "")
