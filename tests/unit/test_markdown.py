"""Markdown sanitizing against what a hostile chatter would paste, and what htmx would act on."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from app.chat.emoji import EmojiTable
from app.chat.markdown import Rendered, render_markdown, render_message
from app.chat.model import dom_key

HOSTILE = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "<svg onload=alert(1)>",
    "<iframe src=https://evil.example></iframe>",
    '<a href="javascript:alert(1)">click</a>',
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[click](vbscript:msgbox)",
    '<p style="position:fixed;inset:0">cover</p>',
    '<div hx-get="/logout" hx-trigger="load">x</div>',
    '<div data-hx-get="/logout" data-hx-trigger="load">x</div>',
    '<b hx-on:click="alert(1)">x</b>',
    '<span id="who-list" hx-swap-oob="true">hijack</span>',
    "<template><script>alert(1)</script></template>",
    "<hx-partial id=chat><script>alert(1)</script></hx-partial>",
    "<form action=/logout method=post><button>Win</button></form>",
    "<style>body{display:none}</style>",
    "<meta http-equiv=refresh content='0;url=https://evil.example'>",
    '[x](https://ok.example "title" onmouseover=alert(1))',
    "![img](https://evil.example/track.png)",
]

# fmt: off
ALLOWED_TAGS = {"p", "br", "strong", "em", "del", "s", "code", "pre", "blockquote", "ul", "ol",
                "li", "a", "h1", "h2", "h3", "h4", "h5", "h6", "hr"}
# fmt: on
ALLOWED_ATTRIBUTES = {"href", "rel", "target", "start"}


class Elements(HTMLParser):
    """Every element and attribute a browser (and htmx) would see in the HTML."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.found: list[tuple[str, dict[str, str | None]]] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.append((tag, dict(attrs)))


@pytest.mark.parametrize("payload", HOSTILE)
def test_hostile_markup_is_neutralised(payload: str) -> None:
    html = render_markdown(payload)
    for tag, attributes in Elements(html).found:
        assert tag in ALLOWED_TAGS, html
        assert set(attributes) <= ALLOWED_ATTRIBUTES, html
        href = (attributes.get("href") or "https:").lower()
        assert href.startswith(("https:", "http:", "mailto:")), html
    assert "<hx-" not in html.lower()


def test_ordinary_markdown_renders() -> None:
    html = render_markdown("**bold** _it_ ~~gone~~ `code`\n\n> quoted\n\n1. one\n2. two")
    for fragment in (
        "<strong>bold</strong>",
        "<em>it</em>",
        "<s>gone</s>",
        "<code>code</code>",
        "<blockquote>",
        "<ol>",
        "<li>one</li>",
    ):
        assert fragment in html


def test_links_open_safely_in_a_new_tab() -> None:
    html = render_markdown("[site](https://example.com/page?a=1&b=2)")
    assert 'href="https://example.com/page?a=1&amp;b=2"' in html
    assert 'rel="nofollow noopener noreferrer"' in html
    assert 'target="_blank"' in html


def test_text_that_looks_like_html_is_shown_not_run() -> None:
    assert "&lt;b&gt;hi&lt;/b&gt;" in render_markdown("<b>hi</b>")


def test_a_single_newline_is_a_line_break() -> None:
    assert "first<br>" in render_markdown("first\nsecond")


def test_a_message_cannot_carry_the_separator_between_fragments_of_a_frame() -> None:
    from app.web.send_queue import PART

    for text in (PART, f"a{PART}b", f"`{PART}`", f"```\n{PART}\n```", f"[x](https://e.com/{PART})"):
        assert PART not in render_markdown(text)
        assert PART not in render_message(text, lambda typed: None, EmojiTable()).html
    for text in (f"https://e.com/{PART}", f"@{PART}", f"@bob{PART}", f":joy:{PART}"):
        assert (
            PART
            not in render_message(text, lambda typed: "bob" if typed.startswith("bob") else None, EmojiTable()).html
        )


# --- chat messages: links, shortcodes, mentions (issue 15) ------------------------------------

PEOPLE = {"bob": "bob", "john smith": "John Smith"}
EMOJI = EmojiTable([("😂", ["joy"]), ("👍️", ["+1", "thumbsup"]), ("💯", ["100"])])


def chat(text: str) -> Rendered:
    return render_message(text, lambda typed: PEOPLE.get(typed.casefold()), EMOJI)


@pytest.mark.parametrize(
    "payload",
    [
        *HOSTILE,
        '<span class="mention" data-mention="here">fake</span>',
        "[@bob](javascript:alert(1))",
        "@bob<script>alert(1)</script>",
        "https://evil.example/<hx-partial>",
    ],
)
def test_hostile_markup_is_neutralised_in_chat_messages_too(payload: str) -> None:
    html = chat(payload).html
    for tag, attributes in Elements(html).found:
        assert tag in {*ALLOWED_TAGS, "span"}, html
        assert set(attributes) <= {*ALLOWED_ATTRIBUTES, "class", "data-mention"}, html
        if tag == "span":
            assert attributes == {"class": "mention", "data-mention": dom_key("bob")}, html
    assert "<hx-" not in html.lower()


def test_bare_http_urls_become_safe_links_and_nothing_else_is_guessed() -> None:
    html = chat("see https://example.com/a?b=1 or www.example.org or me@example.com").html
    assert '<a href="https://example.com/a?b=1" target="_blank" rel="nofollow noopener noreferrer">' in html
    assert html.count("<a ") == 1


def test_shortcodes_become_emoji_outside_code_and_numbers() -> None:
    html = chat(":joy: :+1: `:joy:` :nope: at 10:100:5 (:100:)").html
    assert html.startswith("<p>😂 👍️ <code>:joy:</code> :nope: at 10:100:5 (💯)")


def test_mentions_of_people_present_and_here_are_marked() -> None:
    rendered = chat("@BOB and @John Smith, @here; not @zed, not a@bob, not `@bob`, not https://x.example/@bob")
    assert rendered.mentions == (dom_key("bob"), dom_key("John Smith"), "here")
    assert f'<span class="mention" data-mention="{dom_key("bob")}">@BOB</span>' in rendered.html
    assert '<span class="mention" data-mention="here">@here</span>' in rendered.html
    assert rendered.html.count('class="mention"') == 3
