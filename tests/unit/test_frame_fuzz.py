"""The frame parser against arbitrary JSON: it returns a frame or refuses in words, nothing else.

Strings are drawn from every code point, lone surrogates included, and spelled both ways a
sender could: as JSON escapes (`"\\ud800"`) and as the characters themselves in a str. Whatever
parses as a message must then render as Markdown, as the room would do with it.
"""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.chat.frames import INBOUND, PostMessage
from app.chat.markdown import render_markdown
from app.chat.protocol import BROKEN_CHARACTER, FrameError, parse_frame

ANY_TEXT = st.text(st.characters(codec=None, exclude_categories=()), max_size=40)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | ANY_TEXT,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(ANY_TEXT, inner, max_size=4),
    max_leaves=12,
)
FIELDS = ["channel", "text", "username", "feed", "camera", "nsfw", "description", "candidate", "sdpMid"]
FRAMES = st.fixed_dictionaries(
    {"action": st.sampled_from([*INBOUND, "nope"]) | ANY_TEXT},
    optional={field: JSON_VALUES for field in FIELDS},
)


def check(raw: str | bytes) -> None:
    try:
        frame = parse_frame(raw, max_bytes=65536)
    except FrameError as error:
        assert str(error)
        return
    if isinstance(frame, PostMessage):
        render_markdown(frame.text)


@settings(max_examples=400, deadline=None)
@given(FRAMES, st.booleans())
def test_any_json_object_parses_or_is_refused_in_words(data: dict[str, object], ascii_only: bool) -> None:
    text = json.dumps(data, ensure_ascii=ascii_only)
    check(text)
    check(text.encode("utf-8", "surrogatepass"))


@settings(max_examples=200, deadline=None)
@given(JSON_VALUES)
def test_any_json_value_parses_or_is_refused_in_words(value: object) -> None:
    check(json.dumps(value))


@pytest.mark.parametrize(
    "text",
    ["\\ud800", "a\\ud800b", "\\udc00", "\\uDBFF\\u0041", "x\\udfff"],
)
def test_a_lone_surrogate_is_refused_as_a_broken_character(text: str) -> None:
    raw = '{"action": "message", "channel": "lobby", "text": "' + text + '"}'
    with pytest.raises(FrameError, match="broken character"):
        parse_frame(raw, max_bytes=65536)
    with pytest.raises(FrameError) as refused:
        raw_character = json.dumps({"action": "message", "channel": "lobby", "text": "\ud800"}, ensure_ascii=False)
        parse_frame(raw_character, max_bytes=65536)
    assert str(refused.value) == BROKEN_CHARACTER


def test_a_surrogate_pair_is_an_ordinary_character() -> None:
    frame = parse_frame('{"action": "message", "channel": "lobby", "text": "\\ud83d\\ude00"}', max_bytes=65536)
    assert isinstance(frame, PostMessage) and frame.text == "😀"
