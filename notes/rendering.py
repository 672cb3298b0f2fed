"""Safe HTML for a note body: timestamps open the video at their second, wikilinks resolve.

The body is read by the same markdown-it parser as the importer (`vault_markdown`), so a
timestamp or wikilink renders as a link exactly when the importer counted it as one. Notes
are user content that may carry raw HTML, so the result always goes through nh3: whatever
the markdown said, no ``<script>``, event handler or ``javascript:`` URL survives.

The links the renderer makes itself carry classes and data attributes that pages trust (a
timestamp's ``data-seconds`` seeks the player), so a note must not be able to write them: raw
HTML keeps no class or data attribute at all. The renderer's own links therefore cannot go
through that sanitizer; they are rendered as placeholders, the note is sanitized, and each
placeholder is then replaced by its link, itself checked by a sanitizer of its own. A
placeholder holds a random value new for every rendering, so a note cannot forge one.
"""

import html
import re
import secrets
from collections.abc import Callable, Sequence

import nh3
from markdown_it.renderer import RendererHTML
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict

from notes.parsing import (
    TIMESTAMP_TOKEN,
    WIKILINK_TOKEN,
    format_timestamp,
    vault_markdown,
    youtube_url,
)

#: Given a wikilink's target slug, the caller's ``(href, css_class)`` for it: a note, a
#: channel or a topic page, which only the caller can tell apart.
LinkFor = Callable[[str], tuple[str, str]]

# fmt: off
_ALLOWED_TAGS = {
    "p", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "hr", "br",
    "ul", "ol", "li", "strong", "em", "code", "pre", "a", "span",
    "table", "thead", "tbody", "tr", "th", "td",
}
# fmt: on
_SANITIZER = nh3.Cleaner(
    tags=_ALLOWED_TAGS,
    attributes={"a": {"href", "title"}, "ol": {"start"}},
    url_schemes={"http", "https"},
)
_OWN_LINK_SANITIZER = nh3.Cleaner(
    tags={"a", "span"},
    attributes={"a": {"href", "class", "data-seconds"}, "span": {"class"}},
    # Relative URLs (the caller's own note and topic pages) are kept by default.
    url_schemes={"http", "https"},
)
# Private-use characters around the rendering's secret and the link's index.
_PLACEHOLDER = re.compile("\ue000([0-9a-f]{32}):([0-9]+)\ue001")


def render_note_html(body_markdown: str, *, video_id: str | None, link_for: LinkFor) -> str:
    """The sanitized HTML of a note body.

    Timestamps link to `video_id` at their second (or are plain labels when the note has no
    video); an impossible timestamp stays as written. Each wikilink goes where `link_for`
    says.
    """
    own_links: list[str] = []
    secret = secrets.token_hex(16)

    def placeholder(link_html: str) -> str:
        own_links.append(_OWN_LINK_SANITIZER.clean(link_html))
        return f"\ue000{secret}:{len(own_links) - 1}\ue001"

    env = {"video_id": video_id, "link_for": link_for, "placeholder": placeholder}
    sanitized = _SANITIZER.clean(_MARKDOWN.render(body_markdown, env))
    return _PLACEHOLDER.sub(
        lambda match: own_links[int(match[2])] if match[1] == secret else match[0], sanitized
    )


def render_timestamp_link(video_id: str, seconds: int) -> str:
    """An ``HH:MM:SS`` link that opens the video at `seconds`."""
    href = html.escape(youtube_url(video_id, seconds))
    return (
        f'<a class="timestamp" href="{href}" data-seconds="{seconds:d}">'
        f"{format_timestamp(seconds)}</a>"
    )


def _render_wikilink(
    self: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    token = tokens[idx]
    if token.meta["error"]:
        return html.escape(token.content)
    href, css_class = env["link_for"](token.meta["slug"])
    return env["placeholder"](
        f'<a class="{html.escape(css_class)}" href="{html.escape(href)}">'
        f"{html.escape(token.meta['label'])}</a>"
    )


def _render_timestamp(
    self: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    token = tokens[idx]
    seconds = token.meta["seconds"]
    if seconds is None:
        return html.escape(token.content)
    if env["video_id"] is None:
        return env["placeholder"](f'<span class="timestamp">{format_timestamp(seconds)}</span>')
    return env["placeholder"](render_timestamp_link(env["video_id"], seconds))


_MARKDOWN = vault_markdown()
_MARKDOWN.add_render_rule(WIKILINK_TOKEN, _render_wikilink)
_MARKDOWN.add_render_rule(TIMESTAMP_TOKEN, _render_timestamp)
