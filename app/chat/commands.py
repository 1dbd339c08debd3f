"""Operator slash commands (`/kick`, `/ban`, ...), typed in the message box."""

from __future__ import annotations

from typing import TYPE_CHECKING

from app.chat.model import Member

if TYPE_CHECKING:
    from app.chat.room import Outlet, Room


async def run(room: Room, outlet: Outlet, caller: Member, text: str) -> None:
    """Run the command in `text` for `caller`, answering them with what happened."""
    name = text.split(maxsplit=1)[0]
    room.tell(outlet, f"Unknown command {name[:30]}. Messages that start with / are commands; "
                      "type /help for the list.")
