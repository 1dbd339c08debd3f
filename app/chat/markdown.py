"""Markdown to safe HTML: markdown-it-py renders, nh3 sanitizes with a short allowlist.

What comes out is swapped into the page by htmx, which acts on `hx-*` attributes, ids used by
`hx-swap-oob`, `<template>` and `<hx-partial>`-style tags. None of those survive: attributes
are allowlisted per tag, no `id`, no `template`, and a literal `<hx-` left inside an attribute
value is escaped so htmx's tag rewriting cannot see it.

Chat messages get three more touches, in the text of the parsed Markdown (never inside code
or a link): bare `http(s)://` URLs become links (linkify, without guessing at `www.` or
e-mail addresses), `:shortcodes:` become emoji, and `@name` of someone present (or `@here`)
becomes `<span class="mention" data-mention="KEY">`, KEY the person's `dom_key` or `here`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import nh3
from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from markdown_it.token import Token
from markupsafe import escape

from app.chat.emoji import EmojiTable
from app.chat.model import dom_key

_md = MarkdownIt("commonmark", {"html": False, "linkify": False, "breaks": True}).enable("strikethrough")
_chat_md = MarkdownIt("commonmark", {"html": False, "linkify": True, "breaks": True}).enable(
    ["strikethrough", "linkify"]
)
assert _chat_md.linkify is not None  # linkify-it-py is a dependency
_chat_md.linkify.set({"fuzzy_link": False, "fuzzy_email": False})

# fmt: off
_TAGS = {"p", "br", "strong", "em", "del", "s", "code", "pre", "blockquote", "ul", "ol",
         "li", "a", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "span"}
# fmt: on
_ATTRIBUTES: dict[str, set[str]] = {"a": {"href"}, "ol": {"start"}, "span": {"data-mention"}, "*": set()}
_HX_TAG = re.compile(r"<(/?)hx-", re.IGNORECASE)
_MENTION_VALUE = re.compile(r"[0-9a-f]{12}|here")
_AT = re.compile(r"(?<![\w@])@(?=\S)")
HERE = "here"
MAX_NAME = 64  # characters after an @ that may be a name

NameResolver = Callable[[str], str | None]
"""A name as typed after @ -> the present member's name it stands for, or None."""


@dataclass
class Rendered:
    """A chat message's HTML and whom it mentions (dom_keys, and/or "here")."""

    html: str
    mentions: tuple[str, ...] = ()


@dataclass
class _Env:
    names: NameResolver
    emoji: EmojiTable
    mentions: list[str] = field(default_factory=list)


def render_markdown(text: str) -> str:
    """Render Markdown the operator wrote (welcome messages) to HTML that is safe to swap in."""
    return _sanitize(_md.render(text))


def render_message(text: str, names: NameResolver, emoji: EmojiTable) -> Rendered:
    """Render a user's chat message: Markdown, links, emoji shortcodes and mentions."""
    env = _Env(names, emoji)
    html = _chat_md.render(text, {"barertc": env})
    return Rendered(_sanitize(html), tuple(dict.fromkeys(env.mentions)))


def _keep_mention(tag: str, attribute: str, value: str) -> str | None:
    if tag == "span" and attribute == "data-mention":
        return value if _MENTION_VALUE.fullmatch(value) else None
    return value


def _sanitize(html: str) -> str:
    clean = nh3.clean(
        html,
        tags=_TAGS,
        attributes=_ATTRIBUTES,
        attribute_filter=_keep_mention,
        url_schemes={"http", "https", "mailto"},
        link_rel="nofollow noopener noreferrer",
        set_tag_attribute_values={"a": {"target": "_blank"}},
        allowed_classes={"span": {"mention"}},
        strip_comments=True,
    )
    return _HX_TAG.sub(r"&lt;\1hx-", clean).strip()


# --- chat touches in the parsed text -------------------------------------------------------


def _chat_touches(state: StateCore) -> None:
    env: Any = state.env.get("barertc")
    if not isinstance(env, _Env):
        return
    for block in state.tokens:
        if block.type == "inline" and block.children:
            block.children = _touch_children(block.children, env)


def _touch_children(children: list[Token], env: _Env) -> list[Token]:
    result: list[Token] = []
    in_link = 0
    for token in children:
        if token.type == "link_open":
            in_link += 1
        elif token.type == "link_close":
            in_link -= 1
        if token.type != "text" or in_link:
            result.append(token)
            continue
        result.extend(_touch_text(env.emoji.replace_shortcodes(token.content), env))
    return result


def _touch_text(text: str, env: _Env) -> list[Token]:
    tokens: list[Token] = []
    position = 0
    for match in _AT.finditer(text):
        if match.start() < position:
            continue
        found = _mention_at(text, match.end(), env.names)
        if found is None:
            continue
        name, length = found
        key = HERE if name == HERE else dom_key(name)
        env.mentions.append(key)
        tokens.append(_text(text[position : match.start()]))
        typed = text[match.start() : match.end() + length]
        span = Token("html_inline", "", 0)
        span.content = f'<span class="mention" data-mention="{key}">{escape(typed)}</span>'
        tokens.append(span)
        position = match.end() + length
    tokens.append(_text(text[position:]))
    return [token for token in tokens if token.type != "text" or token.content]


def _mention_at(text: str, start: int, names: NameResolver) -> tuple[str, int] | None:
    """The longest present name (or "here") that `text` spells from `start`, ending at a word's end."""
    candidate = text[start : start + MAX_NAME]
    for end in range(len(candidate), 0, -1):
        if end < len(candidate) and (candidate[end].isalnum() or candidate[end] == "_"):
            continue  # a name ends where a word does
        typed = candidate[:end]
        if typed.casefold() == HERE:
            return HERE, end
        name = names(typed)
        if name is not None:
            return name, end
    return None


def _text(content: str) -> Token:
    token = Token("text", "", 0)
    token.content = content
    return token


_chat_md.core.ruler.push("barertc_chat_touches", _chat_touches)
