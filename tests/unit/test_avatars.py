"""Initials avatars: one or two letters, a colour of one's own, white text readable on it."""

from __future__ import annotations

import pytest

from app.chat.avatars import PALETTE, avatar_colour, initials
from app.chat.posts import Author
from app.chat.render import template_environment


def luminance(colour: str) -> float:
    """WCAG 2's relative luminance of `#rrggbb`."""
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


@pytest.mark.parametrize("colour", PALETTE)
def test_white_initials_meet_wcag_aa_on_every_colour(colour: str) -> None:
    assert (1.0 + 0.05) / (luminance(colour) + 0.05) >= 4.5


def test_a_name_keeps_its_colour_and_names_spread_over_the_palette() -> None:
    assert avatar_colour("alice") == avatar_colour("alice")
    colours = {avatar_colour(f"guest{n}") for n in range(60)}
    assert len(colours) >= len(PALETTE) - 2
    assert colours <= set(PALETTE)


@pytest.mark.parametrize(
    ("name", "letters"),
    [
        ("alice", "A"),
        ("Mary Ann", "MA"),
        ("bob_2", "B2"),
        ("jean-luc picard", "JP"),
        ("  zoë  ", "Z"),
        ("émile", "É"),
        ("_x_", "X"),
        ("😀", "😀"),
        ("", "?"),
        ("---", "?"),
    ],
)
def test_initials(name: str, letters: str) -> None:
    assert initials(name) == letters


def test_the_avatar_is_the_picture_or_the_initials() -> None:
    avatar = template_environment().get_template("fragments/_avatar.html")
    plain = avatar.render(person=Author(name="alice", nick="Alice Liddell"), size=32, avatar_class="avatar")
    assert f'style="--avatar-bg: {avatar_colour("alice")}"' in plain
    assert 'aria-hidden="true">AL</span>' in plain
    pictured = avatar.render(
        person=Author(name="alice", img="https://site.example/a.png"), size=32, avatar_class="avatar"
    )
    assert pictured.startswith('<img class="avatar" src="https://site.example/a.png"')
    assert "is-initials" not in pictured
