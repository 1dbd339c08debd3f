"""Markdown to safe HTML: markdown-it-py renders, nh3 sanitizes with a short allowlist.

What comes out is swapped into the page by htmx, which acts on `hx-*` attributes, ids used by
`hx-swap-oob`, `<template>` and `<hx-partial>`-style tags. None of those survive: attributes
are allowlisted per tag, no `id`, no `template`, and a literal `<hx-` left inside an attribute
value is escaped so htmx's tag rewriting cannot see it.
"""

from __future__ import annotations

import re

import nh3
from markdown_it import MarkdownIt

_md = MarkdownIt("commonmark", {"html": False, "linkify": False, "breaks": True}).enable("strikethrough")

# fmt: off
_TAGS = {"p", "br", "strong", "em", "del", "s", "code", "pre", "blockquote", "ul", "ol",
         "li", "a", "h1", "h2", "h3", "h4", "h5", "h6", "hr"}
# fmt: on
_ATTRIBUTES: dict[str, set[str]] = {"a": {"href"}, "ol": {"start"}, "*": set()}
_HX_TAG = re.compile(r"<(/?)hx-", re.IGNORECASE)


def render_markdown(text: str) -> str:
    """Render user Markdown to HTML that is safe to swap into the page."""
    html = _md.render(text)
    clean = nh3.clean(
        html,
        tags=_TAGS,
        attributes=_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="nofollow noopener noreferrer",
        set_tag_attribute_values={"a": {"target": "_blank"}},
        strip_comments=True,
    )
    return _HX_TAG.sub(r"&lt;\1hx-", clean).strip()
