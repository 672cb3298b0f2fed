"""Read a vault note: YAML front matter, wikilinks, timestamps and the sentences they date.

A note is a markdown file as the vault writes it (see ``shared/samples``)::

    ---
    title: Open source in AI development and safety
    videoId: oX7OduG1YmI
    ---

    From: [[cleoabram]] <br/>

    Open source ... build applications on top of it [00:41:05]. ...

Everything here is pure: bytes or text in, frozen dataclasses out, no database. A `NoteError`
makes a file unusable (the importer reports ``path:line: message`` and skips it); a `Problem`
is reported the same way while the rest of the note still imports.

A vault is untrusted input, so everything here takes time linear in the size of the note, and
`Limits` bound that size before the work it would make costly: a file too large is refused
before it is decoded, YAML nesting before it is composed, timestamps and links as they are
counted. Values longer than their database columns are refused here too, with a message,
instead of failing later inside a transaction.

Wikilinks and timestamps are markdown-it inline rules (`vault_syntax`) rather than regexes over
raw text, so the parser and the HTML renderer agree on what is a link, a timestamp, or code
that merely looks like one.
"""

import codecs
import itertools
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

import yaml
from markdown_it import MarkdownIt
from markdown_it.rules_inline import StateInline
from markdown_it.token import Token

VIDEO_ID_RE = re.compile(r"^[A-Za-z0-9_-]{11}$")

#: The columns that titles, slugs and link targets are stored in (`notes.models` uses these).
TITLE_MAX_LENGTH = 300
SLUG_MAX_LENGTH = 200
#: The largest second an integer column holds: 596523:14:07.
TIMESTAMP_MAX_SECONDS = 2**31 - 1


@dataclass(frozen=True, slots=True)
class Limits:
    """How much one note may hold. The importer reads them from the ``IMPORT_MAX_*`` settings,
    whose defaults these are; a parse without them gets these defaults.

    The file limit stays well above 1 MB, the size of a long transcript.
    """

    file_bytes: int = 2 * 1024 * 1024
    line_chars: int = 100_000
    front_matter_chars: int = 64 * 1024
    front_matter_depth: int = 20
    timestamps: int = 20_000
    links: int = 20_000


#: Inline token types produced by `vault_syntax`. A wikilink token's ``meta`` holds target,
#: slug, section and label; a timestamp token's holds label (as written), seconds (None when
#: impossible) and error. Both hold offset, their position in the block's inline source, and
#: ``content``, the source text shown as-is when a timestamp is impossible.
WIKILINK_TOKEN = "wikilink"
TIMESTAMP_TOKEN = "timestamp"
# Marks (in ``meta``) the text tokens that separate the timestamps of a list.
_SEPARATOR = "timestamp_separator"

_UNDERSCORE_RUN_RE = re.compile(r"_{2,}")

# The first field (hours, or minutes in MM:SS) takes any number of digits, the others two.
# Ranges are checked by parse_timestamp, so `[00:99:99]` is reported rather than overlooked.
# ASCII digits only: `\d` would also accept Arabic-Indic and other decimal digits.
_TIMESTAMP_PATTERN = r"[0-9]+:[0-9]{2}(?::[0-9]{2})?"
_TIMESTAMP_RE = re.compile(_TIMESTAMP_PATTERN)
# One timestamp in brackets, or a list of them in one bracket (`[01:15:23, 01:15:26]`). Then
# either no link destination at all, or one that leads nowhere (`[00:01:12](#)`, a fragment,
# or `()`): vaults write those to make a timestamp clickable. `[00:42:05](https://...)` leads
# where its author chose, and stays their link.
_BRACKET_TIMESTAMP_RE = re.compile(
    rf"""
    \[ ( {_TIMESTAMP_PATTERN} (?: [ \t]* , [ \t]* {_TIMESTAMP_PATTERN} )* ) \]
    (?: \( [ \t]* (?: \#[^\s()]* )? [ \t]* \) | (?!\() )
    """,
    re.VERBOSE,
)
_ANCHOR_TIMESTAMP_RE = re.compile(r'<a\s+class="yt-timestamp"\s+data-t="([^"]*)"\s*>([^<]*)</a>')
_WIKILINK_RE = re.compile(r"\[\[([^\[\]|#\n]+)(?:#([^\[\]|\n]*))?(?:\|([^\[\]\n]*))?\]\]")

_FROM_LINE_RE = re.compile(r"From:\s*\[\[")
# Obsidian callout: a blockquote whose first line is `[!TIP] Title`.
_CALLOUT_RE = re.compile(r"\[![\w-]+\]")
_BR_TAG_RE = re.compile(r"<br\s*/?>", re.IGNORECASE)

# Stands for one timestamp in a block's plain text, so sentence splitting can see where each
# timestamp sits: inside a sentence, after its closing punctuation, or opening a line.
_PLACEHOLDER = "\ufffc"
# Two bounds keep the search linear. A match starts only at the first of a run of [.!?]: one
# tried inside the run would fail the same way, and trying each would cost time quadratic in
# the length of the run. And a sentence takes at most `_TRAILING_TIMESTAMPS` timestamps along:
# in `x. [00:01]. [00:02]. ...x` every period is a start that would otherwise scan (and back
# out of) all the timestamps after it; those past the bound date the next sentence.
_TRAILING_TIMESTAMPS = 100
_SENTENCE_END_RE = re.compile(
    rf"""
    (?<! [.!?] )
    [.!?]+ ["'\u201d\u2019)\]]*               # closing punctuation, quotes, brackets
    # timestamps trailing on the same line, each maybe in parentheses
    (?: [ \t]* \(? {_PLACEHOLDER} \)? (?: [ \t]* [,;.] )? ){{0,{_TRAILING_TIMESTAMPS}}}
    (?= \s | $ )
    """,
    re.VERBOSE,
)
_ABBREVIATIONS = ("e.g", "i.e", "cf", "vs", "approx", "dr", "mr", "mrs", "ms", "prof", "st")
# Searched for only in the few characters before a period (the lookbehind sees past them).
_ABBREVIATION_RE = re.compile(
    rf"(?<![^\s(\[])(?:{'|'.join(map(re.escape, _ABBREVIATIONS))})\Z", re.IGNORECASE
)
_ABBREVIATION_CHARS = max(map(len, _ABBREVIATIONS))
_NEXT_CHARACTER_RE = re.compile(r"\s*(\S)")
# A run of timestamps, with the whitespace and commas before it, and the parentheses around it
# (`([00:01:12](#))`). A period just before the run swallows one just after it, so
# `etc. [00:45:24].` reads `etc.`.
_PLACEHOLDER_RUN_RE = re.compile(
    rf"(\.)?\s*(\()?{_PLACEHOLDER}(?:[\s,;]*{_PLACEHOLDER})*(?(2)\))(?(1)\.?)"
)


@dataclass(frozen=True, slots=True)
class WikiLink:
    """A ``[[target#section|label]]`` link; `line` is the file line it is written on."""

    target_slug: str
    target: str
    label: str
    section: str
    line: int


@dataclass(frozen=True, slots=True)
class Timestamp:
    """A point in the video; `label` is the text as written in the note (``00:42:05``)."""

    seconds: int
    label: str
    line: int


@dataclass(frozen=True, slots=True)
class Sentence:
    """A body sentence that carries a timestamp: a candidate claim for the editors.

    `seconds` and `line` are those of the sentence's first timestamp; `text` is plain prose
    with the timestamps and markup removed and wikilinks replaced by their labels.
    """

    text: str
    seconds: int
    line: int
    link_slugs: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Problem:
    """Something wrong in a note that does not stop it from importing."""

    line: int
    message: str


@dataclass(frozen=True, slots=True)
class ParsedNote:
    """Everything the importer needs from one note file.

    `body_markdown` starts at file line `body_start_line`; every other line number here is
    already a file line (1-based).
    """

    title: str
    slug: str
    video_id: str
    channel_slug: str | None
    channel_name: str | None
    front_matter: dict
    body_markdown: str
    body_start_line: int
    links: tuple[WikiLink, ...]
    timestamps: tuple[Timestamp, ...]
    sentences: tuple[Sentence, ...]
    problems: tuple[Problem, ...]


class NoteError(Exception):
    """A problem that makes a file unusable as a note, at a 1-based file line."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message

    def __reduce__(self):
        # Pickled whole, as the importer's parser process sends it back (`notes.importer`).
        return type(self), (self.line, self.message)


def slugify_title(text: str) -> str:
    """The slug of a note title, a wikilink target or a channel name.

    Lowercase, with each run of characters other than letters and digits turned into one
    underscore: the form the vault's own wikilinks use, so ``[[Role of AI in smartphone
    photography | ML]]`` and ``[[role_of_ai_in_smartphone_photography]]`` reach the same page.
    Letters of every script are kept. Combining marks count as part of their letter, or
    Devanagari and Thai words would be cut apart at their vowel signs.
    """
    normalized = unicodedata.normalize("NFC", text.lower())
    kept = "".join(ch if unicodedata.category(ch)[0] in "LNM" else "_" for ch in normalized)
    return _UNDERSCORE_RUN_RE.sub("_", kept).strip("_")


def parse_timestamp(text: str) -> int:
    """Seconds from ``HH:MM:SS``, ``H:MM:SS`` or ``MM:SS``, optionally in square brackets.

    Hours may run past 99, but minutes and seconds must be 0-59: ``00:99:99`` is a typo to
    report, not a roundabout way of writing 01:40:39. Nor may the time pass
    `TIMESTAMP_MAX_SECONDS`, which no column could store.
    """
    label = text.strip()
    if label.startswith("[") and label.endswith("]"):
        label = label[1:-1]
    if not _TIMESTAMP_RE.fullmatch(label):
        raise ValueError(
            f"not a timestamp: {_shorten(text)!r} (expected HH:MM:SS, H:MM:SS or MM:SS)"
        )
    parts = label.split(":")
    # Checked before int(), which takes time quadratic in the number of digits.
    if len(parts[0].lstrip("0")) > len(str(TIMESTAMP_MAX_SECONDS)):
        raise ValueError(_too_late_message())
    fields = [int(part) for part in parts]
    hours = fields[0] if len(fields) == 3 else 0
    minutes, seconds = fields[-2:]
    if minutes > 59:
        raise ValueError(f"minutes must be 0-59, got {minutes}")
    if seconds > 59:
        raise ValueError(f"seconds must be 0-59, got {seconds}")
    total = hours * 3600 + minutes * 60 + seconds
    if total > TIMESTAMP_MAX_SECONDS:
        raise ValueError(_too_late_message())
    return total


def _too_late_message() -> str:
    return f"later than {format_timestamp(TIMESTAMP_MAX_SECONDS)}, the latest time a note may name"


def format_timestamp(seconds: int) -> str:
    """``HH:MM:SS``, zero padded; hours grow past two digits for very long videos."""
    if seconds < 0:
        raise ValueError(f"seconds must not be negative, got {seconds}")
    hours, remainder = divmod(seconds, 3600)
    minutes, remainder = divmod(remainder, 60)
    return f"{hours:02d}:{minutes:02d}:{remainder:02d}"


def youtube_url(video_id: str, seconds: int | None = None) -> str:
    """The watch URL of a video, opening at `seconds` when given.

    The id is checked because it ends up in ``href`` attributes.
    """
    if not VIDEO_ID_RE.fullmatch(video_id):
        raise ValueError(f"not a YouTube video id: {video_id!r}")
    if seconds is None:
        return f"https://www.youtube.com/watch?v={video_id}"
    if seconds < 0:
        raise ValueError(f"seconds must not be negative, got {seconds}")
    return f"https://www.youtube.com/watch?v={video_id}&t={seconds}s"


def decode_note(data: bytes, limits: Limits = Limits()) -> str:
    """The text of a note file with LF newlines, or a NoteError saying why it has none.

    A UTF-8 byte order mark, which some Windows editors write, is dropped. `data` may be cut
    off one byte past the size limit: that is enough to refuse it.
    """
    if len(data) > limits.file_bytes:
        raise NoteError(
            1,
            f"file is larger than {limits.file_bytes:,} bytes, the most a note may have "
            "(IMPORT_MAX_FILE_BYTES)",
        )
    if b"\x00" in data:
        raise NoteError(1, "binary file, not a markdown note")
    start = len(codecs.BOM_UTF8) if data.startswith(codecs.BOM_UTF8) else 0
    try:
        text = data[start:].decode("utf-8")
    except UnicodeDecodeError as error:
        offset = start + error.start
        raise NoteError(
            _line_at_offset(data, offset),
            f"not valid UTF-8 (byte 0x{data[offset]:02x} at offset {offset})",
        ) from error
    if not text.strip():
        raise NoteError(1, "empty file")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _line_at_offset(data: bytes, offset: int) -> int:
    """The 1-based line of byte `offset`, counting LF, CRLF and lone CR line ends."""
    before = data[:offset]
    return before.count(b"\n") + before.count(b"\r") - before.count(b"\r\n") + 1


def parse_note(
    text: str, limits: Limits = Limits(), *, duration_seconds: int | None = None
) -> ParsedNote:
    """Parse the text of a note (as returned by `decode_note`).

    Raises NoteError when the note passes one of the `limits`, when the front matter is
    missing, unclosed, not valid YAML or not a mapping, or lacks a usable ``title`` or
    ``videoId``. Impossible timestamps, timestamps past `duration_seconds` (the length of the
    note's video, when known) and overlong link targets are left out and reported in
    `ParsedNote.problems`.
    """
    lines = text.split("\n")
    for number, line in enumerate(lines, start=1):
        if len(line) > limits.line_chars:
            raise NoteError(
                number,
                f"line is {len(line):,} characters long, more than the {limits.line_chars:,} "
                "a line may have (IMPORT_MAX_LINE_CHARS)",
            )
    if lines[0].rstrip() != "---":
        raise NoteError(1, "no front matter: a note must start with a '---' line")
    closing = next(
        (index for index, line in enumerate(lines[1:], start=1) if line.rstrip() == "---"), None
    )
    if closing is None:
        raise NoteError(1, "front matter opened on line 1 is never closed by a '---' line")
    yaml_text = "\n".join(lines[1:closing])
    if len(yaml_text) > limits.front_matter_chars:
        raise NoteError(
            1,
            f"front matter is {len(yaml_text):,} characters long, more than the "
            f"{limits.front_matter_chars:,} it may have (IMPORT_MAX_FRONT_MATTER_CHARS)",
        )
    front_matter, key_lines = _load_front_matter(
        yaml_text, first_line=2, max_depth=limits.front_matter_depth
    )

    title = front_matter.get("title")
    if title is None:
        raise NoteError(1, "front matter has no title")
    if not isinstance(title, str) or not title.strip():
        raise NoteError(key_lines["title"], "title must be a non-empty line of text")
    title = title.strip()
    if len(title) > TITLE_MAX_LENGTH:
        raise NoteError(
            key_lines["title"],
            f"title is {len(title):,} characters long, more than the {TITLE_MAX_LENGTH} "
            "a title may have",
        )
    slug = slugify_title(title)
    if not slug:
        raise NoteError(key_lines["title"], f"title {title!r} has no letters or digits")
    if len(slug) > SLUG_MAX_LENGTH:
        raise NoteError(
            key_lines["title"],
            f"title gives a slug of {len(slug)} characters, more than the {SLUG_MAX_LENGTH} "
            "a slug may have; shorten the title",
        )

    video_id = front_matter.get("videoId")
    if video_id is None:
        raise NoteError(1, "front matter has no videoId")
    if not isinstance(video_id, str) or not VIDEO_ID_RE.fullmatch(video_id):
        raise NoteError(
            key_lines["videoId"],
            f"malformed videoId {_shorten(repr(video_id))}: expected a YouTube video id, "
            "11 characters from A-Z, a-z, 0-9, '-' and '_'",
        )

    body_index = closing + 1
    while body_index < len(lines) and not lines[body_index].strip():
        body_index += 1
    body = "\n".join(lines[body_index:]).rstrip()
    reader = _BodyReader(
        first_line=body_index + 1, limits=limits, duration_seconds=duration_seconds
    )
    reader.read(body)
    return ParsedNote(
        title=title,
        slug=slug,
        video_id=video_id,
        channel_slug=reader.channel.target_slug if reader.channel else None,
        channel_name=reader.channel.target if reader.channel else None,
        front_matter=front_matter,
        body_markdown=body,
        body_start_line=body_index + 1,
        links=tuple(reader.links),
        timestamps=tuple(reader.timestamps),
        sentences=tuple(reader.sentences),
        problems=tuple(reader.problems),
    )


def find_wikilinks(body_markdown: str) -> tuple[WikiLink, ...]:
    """The wikilinks of a note body on its own, such as one an editor just changed.

    Line numbers count from the body's first line. An editor's body is not held to the
    import `Limits`: it is already stored.
    """
    reader = _BodyReader(first_line=1, limits=None)
    reader.read(body_markdown)
    return tuple(reader.links)


def _load_front_matter(
    yaml_text: str, first_line: int, max_depth: int
) -> tuple[dict[str, Any], dict[str, int]]:
    """The front matter mapping, and the file line of each of its keys.

    These are the steps of ``yaml.load(..., Loader=yaml.BaseLoader)``, taken apart to keep the
    node's line marks and to check the nodes before they are built into values. BaseLoader
    leaves every scalar a string, so a videoId such as ``00012345678`` is not turned into a
    number.
    """
    loader = _FrontMatterLoader(yaml_text, first_line=first_line, max_depth=max_depth)
    try:
        node = loader.get_single_node()
        if node is None:
            return {}, {}
        _check_nodes(node, first_line)
        data = loader.construct_document(node)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        problem = getattr(error, "problem", None) or str(error)
        line = first_line + mark.line if mark else first_line
        raise NoteError(line, f"front matter is not valid YAML: {problem}") from error
    finally:
        loader.dispose()
    if not isinstance(node, yaml.MappingNode):
        kind = "a list" if isinstance(node, yaml.SequenceNode) else "a single value"
        raise NoteError(
            first_line + node.start_mark.line,
            f"front matter must be a mapping of keys to values (title: ...), not {kind}",
        )
    key_lines = {key.value: first_line + key.start_mark.line for key, _ in node.value}
    return data, key_lines


class _FrontMatterLoader(yaml.BaseLoader):
    """BaseLoader refusing what costs more than the text it is written in.

    An alias repeats a whole subtree where it is written, so nine levels of them ("billion
    laughs") build gigabytes out of a few lines: front matter has no use for them. Nesting is
    counted while the nodes are composed, because composing recurses once per level and deep
    nesting would otherwise end in a RecursionError.
    """

    def __init__(self, stream: str, *, first_line: int, max_depth: int) -> None:
        super().__init__(stream)
        self.first_line = first_line
        self.max_depth = max_depth
        self.depth = 0

    def compose_node(self, parent, index):
        event = self.peek_event()
        line = self.first_line + event.start_mark.line
        if isinstance(event, yaml.AliasEvent):
            raise NoteError(
                line, f"front matter uses the YAML alias *{event.anchor}; aliases are not allowed"
            )
        if self.depth >= self.max_depth:
            raise NoteError(
                line,
                f"front matter is nested more than {self.max_depth} levels deep "
                "(IMPORT_MAX_FRONT_MATTER_DEPTH)",
            )
        self.depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


# PostgreSQL stores no NUL in text, and a lone surrogate is no character at all: neither
# can be saved, yet YAML's escapes ("\0", "\uD800") write both.
_UNSTORABLE_RE = re.compile("[\x00\ud800-\udfff]")


def _check_nodes(root: yaml.Node, first_line: int) -> None:
    """Refuse duplicate keys, naming both lines, and characters that cannot be stored.

    The nodes are visited in the order they are written, so the first problem is reported.
    """
    pending = [root]
    while pending:
        node = pending.pop()
        children: list[yaml.Node] = []
        if isinstance(node, yaml.ScalarNode):
            if unstorable := _UNSTORABLE_RE.search(node.value):
                raise NoteError(
                    first_line + node.start_mark.line,
                    f"front matter holds the character U+{ord(unstorable[0]):04X}, which "
                    "cannot be stored",
                )
        elif isinstance(node, yaml.MappingNode):
            seen: dict[str, int] = {}
            for key, value in node.value:
                line = first_line + key.start_mark.line
                if isinstance(key, yaml.ScalarNode):
                    if key.value in seen:
                        raise NoteError(
                            line,
                            f"front matter key {_shorten(key.value)!r} is given twice, "
                            f"on lines {seen[key.value]} and {line}",
                        )
                    seen[key.value] = line
                children += (key, value)
        elif isinstance(node, yaml.SequenceNode):
            children = node.value
        pending.extend(reversed(children))


def _shorten(text: str, length: int = 60) -> str:
    """`text` cut to `length` characters for a message, marked with an ellipsis when cut."""
    return text if len(text) <= length else f"{text[: length - 1]}…"


def vault_syntax(md: MarkdownIt) -> None:
    """markdown-it plugin: the vault's wikilinks and timestamps become their own tokens.

    The rules run before ``link``, so ``[00:42:05]`` is not tried as a link reference, and
    before ``html_inline``, so the yt-timestamp anchor is one timestamp rather than raw HTML
    around one. Code spans are consumed by ``backticks`` before these rules see them.
    """
    md.inline.ruler.before("link", WIKILINK_TOKEN, _wikilink_rule)
    md.inline.ruler.before("link", TIMESTAMP_TOKEN, _timestamp_rule)


def vault_markdown() -> MarkdownIt:
    """The CommonMark parser (with tables and raw HTML) that notes are read and rendered with."""
    return MarkdownIt("commonmark", {"html": True}).enable("table").use(vault_syntax)


def _wikilink_rule(state: StateInline, silent: bool) -> bool:
    # Inside a markdown link's text a wikilink stays text: links cannot nest.
    if state.linkLevel > 0:
        return False
    match = _WIKILINK_RE.match(state.src, state.pos, state.posMax)
    if not match:
        return False
    target = match[1].strip()
    slug = slugify_title(target)
    if not slug:
        return False
    if not silent:
        token = state.push(WIKILINK_TOKEN, "", 0)
        token.content = match[0]
        token.meta = {
            "target": target,
            "slug": slug,
            "section": (match[2] or "").strip(),
            "label": (match[3] or "").strip() or target,
            "offset": state.pos,
            "error": _link_target_error(target, slug),
        }
    state.pos = match.end()
    return True


def _link_target_error(target: str, slug: str) -> str | None:
    """Why a link target cannot be stored (its slug, or as a channel's name), or None."""
    if max(len(target), len(slug)) <= SLUG_MAX_LENGTH:
        return None
    return (
        f"wikilink target {_shorten(target)!r} is longer than {SLUG_MAX_LENGTH} characters, "
        "the most a link target may have"
    )


def _timestamp_rule(state: StateInline, silent: bool) -> bool:
    if state.linkLevel > 0:
        return False
    if bracketed := _BRACKET_TIMESTAMP_RE.match(state.src, state.pos, state.posMax):
        if not silent:
            labels = list(_TIMESTAMP_RE.finditer(bracketed[1]))
            if len(labels) == 1:
                _push_timestamp(state, labels[0][0], bracketed[0], state.pos)
            else:
                # Each timestamp of a list is one, kept apart by the list's own commas.
                for index, label in enumerate(labels):
                    if index:
                        separator = state.push("text", "", 0)
                        separator.content = ", "
                        separator.meta = {_SEPARATOR: True}
                    offset = bracketed.start(1) + label.start()
                    _push_timestamp(state, label[0], label[0], offset)
        state.pos = bracketed.end()
        return True
    if anchor := _ANCHOR_TIMESTAMP_RE.match(state.src, state.pos, state.posMax):
        if not silent:
            _push_timestamp(state, anchor[1], anchor[2], state.pos)
        state.pos = anchor.end()
        return True
    return False


def _push_timestamp(state: StateInline, label: str, shown: str, offset: int) -> None:
    token = state.push(TIMESTAMP_TOKEN, "", 0)
    token.content = shown
    try:
        seconds, error = parse_timestamp(label), None
    except ValueError as problem:
        seconds, error = None, str(problem)
    token.meta = {"label": label, "seconds": seconds, "error": error, "offset": offset}


_MARKDOWN = vault_markdown()


class _BodyReader:
    """Walks a note body once, collecting its links, timestamps, problems and sentences.

    Blocks (paragraphs, headings, list items, table cells) come from markdown-it, so fenced
    code, code spans and block markers are already out of the way; a sentence never spans
    two blocks. With `limits`, a body holding more timestamps or links than they allow is
    refused as soon as the count passes them. With `duration_seconds`, a timestamp past the end
    of the video is reported and left out, as an impossible one is.
    """

    def __init__(
        self, first_line: int, limits: Limits | None, duration_seconds: int | None = None
    ) -> None:
        self.first_line = first_line
        self.limits = limits
        self.duration_seconds = duration_seconds
        self.channel: WikiLink | None = None
        self.links: list[WikiLink] = []
        self.timestamps: list[Timestamp] = []
        self.sentences: list[Sentence] = []
        self.problems: list[Problem] = []
        self.timestamp_count = 0
        self.link_count = 0

    def read(self, body: str) -> None:
        for token in _MARKDOWN.parse(body):
            if token.type == "inline":
                self._read_block(token)

    def _read_block(self, block: Token) -> None:
        lines = _LineCounter(block.content, self.first_line + block.map[0])
        is_from_line = _FROM_LINE_RE.match(block.content) is not None
        # The From: line and a callout's title line name things; they state no claim.
        in_header = is_from_line or _CALLOUT_RE.match(block.content) is not None
        prose = _Prose()
        for child in block.children or ():
            if child.type in ("softbreak", "hardbreak") or (
                child.type == "html_inline" and _BR_TAG_RE.fullmatch(child.content)
            ):
                if not in_header:
                    prose.add_text("\n")
                in_header = False
            elif child.type in ("text", "code_inline"):
                # Without the commas of a list, a timestamp left out of it leaves no trace.
                if not in_header and not child.meta.get(_SEPARATOR):
                    prose.add_text(child.content)
            elif child.type == WIKILINK_TOKEN:
                line = lines.line_at(child.meta["offset"])
                self._count_link(line)
                if child.meta["error"]:
                    self.problems.append(Problem(line, f"{child.meta['error']}; link left out"))
                    if not in_header:
                        prose.add_text(child.meta["label"])
                    continue
                link = WikiLink(
                    target_slug=child.meta["slug"],
                    target=child.meta["target"],
                    label=child.meta["label"],
                    section=child.meta["section"],
                    line=line,
                )
                self.links.append(link)
                if not in_header:
                    prose.add_link(link)
                elif is_from_line and self.channel is None:
                    self.channel = link
            elif child.type == TIMESTAMP_TOKEN:
                line = lines.line_at(child.meta["offset"])
                self._count_timestamp(line)
                if child.meta["seconds"] is None:
                    label = _shorten(child.meta["label"])
                    message = f"impossible timestamp [{label}]: {child.meta['error']}"
                    self.problems.append(Problem(line, message))
                    continue
                if self.duration_seconds is not None and child.meta["seconds"] > (
                    self.duration_seconds
                ):
                    self.problems.append(
                        Problem(
                            line,
                            f"timestamp [{child.meta['label']}] is past the end of the video, "
                            f"which lasts {format_timestamp(self.duration_seconds)}; left out",
                        )
                    )
                    continue
                timestamp = Timestamp(child.meta["seconds"], child.meta["label"], line)
                self.timestamps.append(timestamp)
                if not in_header:
                    prose.add_timestamp(timestamp)
        self.sentences.extend(prose.sentences())

    def _count_timestamp(self, line: int) -> None:
        self.timestamp_count += 1
        if self.limits and self.timestamp_count > self.limits.timestamps:
            raise NoteError(
                line,
                f"more than {self.limits.timestamps:,} timestamps, the most a note may have "
                "(IMPORT_MAX_TIMESTAMPS)",
            )

    def _count_link(self, line: int) -> None:
        self.link_count += 1
        if self.limits and self.link_count > self.limits.links:
            raise NoteError(
                line,
                f"more than {self.limits.links:,} wikilinks, the most a note may have "
                "(IMPORT_MAX_LINKS)",
            )


class _LineCounter:
    """File lines of offsets into a block's inline source, asked for in increasing order.

    Counting from where the last question left off keeps a block of many lines linear.
    """

    def __init__(self, text: str, first_line: int) -> None:
        self.text = text
        self.offset = 0
        self.line = first_line

    def line_at(self, offset: int) -> int:
        self.line += self.text.count("\n", self.offset, offset)
        self.offset = offset
        return self.line


@dataclass(slots=True)
class _Prose:
    """The plain text of one block, with where its timestamps and wikilinks sit in it."""

    parts: list[str] = field(default_factory=list)
    length: int = 0
    timestamps: list[tuple[int, Timestamp]] = field(default_factory=list)
    link_slugs: list[tuple[int, str]] = field(default_factory=list)

    def add_text(self, text: str) -> None:
        self.parts.append(text)
        self.length += len(text)

    def add_link(self, link: WikiLink) -> None:
        self.link_slugs.append((self.length, link.target_slug))
        self.add_text(link.label)

    def add_timestamp(self, timestamp: Timestamp) -> None:
        self.timestamps.append((self.length, timestamp))
        self.add_text(_PLACEHOLDER)

    def sentences(self) -> list[Sentence]:
        """The timestamped sentences of this block.

        A fragment with no words (timestamps and punctuation only) is not a sentence: its
        timestamps date the next sentence, or the last one when nothing follows.
        """
        text = "".join(self.parts)
        drafts: list[tuple[str, list[Timestamp], list[str]]] = []
        pending_timestamps: list[Timestamp] = []
        pending_slugs: list[str] = []
        # Timestamps and links were added in text order: each span takes the next few.
        timestamps = _Ordered(self.timestamps)
        link_slugs = _Ordered(self.link_slugs)
        for start, end in itertools.pairwise([0, *_sentence_ends(text), len(text)]):
            pending_timestamps += timestamps.take_before(end)
            pending_slugs += link_slugs.take_before(end)
            words = _clean_sentence(text[start:end])
            if any(character.isalnum() for character in words):
                drafts.append((words, pending_timestamps, pending_slugs))
                pending_timestamps, pending_slugs = [], []
        if drafts:
            drafts[-1][1].extend(pending_timestamps)
            drafts[-1][2].extend(pending_slugs)
        return [
            Sentence(
                text=words,
                seconds=timestamps[0].seconds,
                line=timestamps[0].line,
                link_slugs=tuple(dict.fromkeys(slugs)),
            )
            for words, timestamps, slugs in drafts
            if timestamps
        ]


T = TypeVar("T")


class _Ordered(Generic[T]):
    """Items placed at increasing offsets, taken from the front a span at a time."""

    def __init__(self, placed: list[tuple[int, T]]) -> None:
        self.placed = placed
        self.next = 0

    def take_before(self, end: int) -> list[T]:
        start = self.next
        while self.next < len(self.placed) and self.placed[self.next][0] < end:
            self.next += 1
        return [item for _, item in self.placed[start : self.next]]


def _sentence_ends(text: str) -> Iterator[int]:
    """Where sentences end in a block's plain text.

    A sentence ends at ``.``, ``!`` or ``?`` followed by whitespace, and takes along the
    timestamps written after its closing punctuation on the same line (``culture. [00:00:51]``);
    a timestamp that opens a line starts the next sentence instead. A period after a common
    abbreviation (``e.g.``, ``Dr.``) or before a lowercase word ends nothing.
    """
    for match in _SENTENCE_END_RE.finditer(text):
        end = match.start()
        if match[0].startswith(".") and _ABBREVIATION_RE.search(
            text, max(0, end - _ABBREVIATION_CHARS), end
        ):
            continue
        following = _NEXT_CHARACTER_RE.match(text, match.end())
        if following and following[1].islower():
            continue
        yield match.end()


def _clean_sentence(text: str) -> str:
    """Sentence text without its timestamps, whitespace collapsed.

    A run of timestamps goes with the whitespace and commas before it, so that
    ``on top of it [00:41:05].`` reads ``on top of it.``. Whitespace is collapsed first, so
    that the search for a run never scans a long stretch of spaces more than once.
    """
    collapsed = " ".join(text.split())
    return " ".join(_PLACEHOLDER_RUN_RE.sub(r"\1", collapsed).split())
