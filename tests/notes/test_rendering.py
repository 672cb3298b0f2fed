"""Note bodies rendered to safe HTML: timestamp links, resolved wikilinks, nothing executable."""

from html.parser import HTMLParser
from pathlib import Path

import pytest

from notes.parsing import decode_note, parse_note
from notes.rendering import render_note_html, render_timestamp_link

VIDEO_ID = "oX7OduG1YmI"
SAMPLE = (
    Path(__file__).resolve().parents[3]
    / "shared"
    / "samples"
    / "open_source_in_ai_development_and_safety.md"
)
REL = 'rel="noopener noreferrer"'
LINK_AT_2525 = (
    '<a class="timestamp" href="https://www.youtube.com/watch?v=oX7OduG1YmI&amp;t=2525s" '
    f'data-seconds="2525" {REL}>00:42:05</a>'
)


def topic_link(slug: str) -> tuple[str, str]:
    return f"/topics/{slug}/", "wikilink wikilink--topic"


def render(body: str, *, video_id: str | None = VIDEO_ID, link_for=topic_link) -> str:
    return render_note_html(body, video_id=video_id, link_for=link_for)


class _TagCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def tags_in(html: str) -> list[tuple[str, dict[str, str | None]]]:
    """Every start tag with its attributes, as a browser would read them."""
    collector = _TagCollector()
    collector.feed(html)
    return collector.tags


@pytest.mark.parametrize(
    "timestamp",
    [
        "[00:42:05]",
        "[0:42:05]",
        "[42:05]",
        '<a class="yt-timestamp" data-t="00:42:05">[00:42:05]</a>',
        "[00:42:05](#)",
        "[42:05](#t=2525)",
    ],
)
def test_every_timestamp_style_links_to_its_second(timestamp):
    assert render(f"Safer {timestamp}.") == f"<p>Safer {LINK_AT_2525}.</p>\n"


def test_a_timestamp_link_in_parentheses_keeps_them():
    assert render("Safer ([00:42:05](#)).") == f"<p>Safer ({LINK_AT_2525}).</p>\n"


def test_each_timestamp_of_a_list_links_to_its_second():
    html = render("Safer [00:42:05, 0:00:07, 00:99:99].")
    link_at_7 = (
        '<a class="timestamp" href="https://www.youtube.com/watch?v=oX7OduG1YmI&amp;t=7s" '
        f'data-seconds="7" {REL}>00:00:07</a>'
    )
    assert html == f"<p>Safer {LINK_AT_2525}, {link_at_7}, 00:99:99.</p>\n"


def test_a_timestamp_link_to_an_address_stays_that_link():
    html = render("Safer [00:42:05](https://example.com/).")
    assert html == f'<p>Safer <a href="https://example.com/" {REL}>00:42:05</a>.</p>\n'


def test_long_video_timestamp():
    html = render("Late [100:00:00].")
    assert 'href="https://www.youtube.com/watch?v=oX7OduG1YmI&amp;t=360000s"' in html
    assert ">100:00:00</a>" in html


def test_timestamps_without_a_video_are_plain_labels():
    assert render("At [42:05].", video_id=None) == (
        '<p>At <span class="timestamp">00:42:05</span>.</p>\n'
    )


@pytest.mark.parametrize(
    "timestamp",
    ["[00:99:99]", '<a class="yt-timestamp" data-t="00:99:99">[00:99:99]</a>'],
)
def test_an_impossible_timestamp_stays_plain_text(timestamp):
    assert render(f"Odd {timestamp}.") == "<p>Odd [00:99:99].</p>\n"


def test_wikilinks_go_where_link_for_says():
    requested: list[str] = []

    def link_for(slug: str) -> tuple[str, str]:
        requested.append(slug)
        return f"/notes/{slug}/", "wikilink"

    html = render(
        "See [[Role of AI in smartphone photography | ML]], [[hu-po]] and [[x#Part|part]].",
        link_for=link_for,
    )
    assert requested == ["role_of_ai_in_smartphone_photography", "hu_po", "x"]
    assert html == (
        "<p>See "
        f'<a class="wikilink" href="/notes/role_of_ai_in_smartphone_photography/" {REL}>ML</a>, '
        f'<a class="wikilink" href="/notes/hu_po/" {REL}>hu-po</a> and '
        f'<a class="wikilink" href="/notes/x/" {REL}>part</a>.</p>\n'
    )


def test_a_wikilink_the_parser_leaves_out_stays_text():
    target = "word " * 50

    html = render(f"See [[{target}]].")

    assert html == f"<p>See [[{target}]].</p>\n"


def test_code_is_left_alone():
    html = render("Inline `[00:42:05]` and `[[x]]`.\n\n```\n[[y]] [00:01:00] <b>\n```\n")
    assert html == (
        "<p>Inline <code>[00:42:05]</code> and <code>[[x]]</code>.</p>\n"
        "<pre><code>[[y]] [00:01:00] &lt;b&gt;\n</code></pre>\n"
    )


def test_a_markdown_link_that_looks_like_a_timestamp_stays_a_plain_link():
    assert render("[00:42:05](https://example.org/talk)") == (
        f'<p><a href="https://example.org/talk" {REL}>00:42:05</a></p>\n'
    )


def test_prose_markup_and_tables_survive():
    html = render(
        "## Part\n\n**Bold** and *em*.\n\n> quote\n\n1. one\n\n---\n\n"
        "| a | b |\n|---|---|\n| [[x]] | [00:00:01] |\n"
    )
    assert [tag for tag, _ in tags_in(html)] == [
        "h2", "p", "strong", "em", "blockquote", "p", "ol", "li", "hr",
        "table", "thead", "tr", "th", "th", "tbody", "tr", "td", "a", "td", "a",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("body", "html"),
    [
        ("<script>alert(1)</script>", ""),
        ("Text <script>alert(1)</script> inline.", "<p>Text  inline.</p>\n"),
        ('<img src="x" onerror="alert(1)">', ""),
        ("Inline <img src=x onerror=alert(1)> image.", "<p>Inline  image.</p>\n"),
        (
            '<a href="javascript:alert(1)" onmouseover="alert(2)">x</a>',
            f"<p><a {REL}>x</a></p>\n",
        ),
        ("[click](javascript:alert(1))", "<p>[click](javascript:alert(1))</p>\n"),
        ('<p style="color: red" onclick="alert(1)">hi</p>', "<p>hi</p>"),
        ('<iframe src="https://evil.example"></iframe>', ""),
        ("<svg><script>alert(1)</script></svg>", "<p></p>\n"),
        (
            '<a class="yt-timestamp" data-t="00:00:01" onclick="alert(1)">[00:00:01]</a>',
            f"<p><a {REL}>[00:00:01]</a></p>\n",
        ),
    ],
)
def test_scripts_handlers_and_javascript_urls_are_removed(body, html):
    assert render(body) == html


@pytest.mark.parametrize(
    ("body", "html"),
    [
        (
            '<a class="timestamp" data-seconds="1" href="https://evil.example/">00:00:01</a>',
            f'<p><a href="https://evil.example/" {REL}>00:00:01</a></p>\n',
        ),
        (
            '<A CLASS="timestamp" DATA-SECONDS="1" HREF="https://evil.example/">00:00:01</A>',
            f'<p><a href="https://evil.example/" {REL}>00:00:01</a></p>\n',
        ),
        (
            '<a class="wikilink wikilink--note" href="https://evil.example/">x</a>',
            f'<p><a href="https://evil.example/" {REL}>x</a></p>\n',
        ),
        ('<span class="timestamp">00:00:01</span>', "<p><span>00:00:01</span></p>\n"),
        ('<span data-seconds="1" CLASS="wikilink">x</span>', "<p><span>x</span></p>\n"),
        ('<em data-seconds="1">x</em> <strong class="timestamp">y</strong>', None),
        ('<p class="timestamp" data-seconds="1">x</p>', "<p>x</p>"),
        ('<ol start="3" class="timestamp" data-seconds="1"><li>x</li></ol>', None),
    ],
)
def test_raw_html_never_keeps_a_class_or_data_attribute(body, html):
    rendered = render(body)

    if html is not None:
        assert rendered == html
    assert [
        name
        for _, attributes in tags_in(rendered)
        for name in attributes
        if name == "class" or name.startswith("data-")
    ] == []


def test_raw_html_beside_real_timestamps_and_wikilinks_stays_plain():
    html = render(
        '<a class="timestamp" data-seconds="1" href="https://evil.example/">00:00:01</a> '
        "[00:42:05] [[x]]"
    )

    assert html == (
        f'<p><a href="https://evil.example/" {REL}>00:00:01</a> {LINK_AT_2525} '
        f'<a class="wikilink wikilink--topic" href="/topics/x/" {REL}>x</a></p>\n'
    )


#: The private-use characters a renderer might mark its own links with, written every way a
#: note can: as they are, as character references, and inside raw HTML and its attributes.
FORGED_MARKS = [
    chr(code) + text for code in (0xE000, 0xE001, 0xF8FF) for text in ("0", "1", "00")
] + [
    "\ue000" + "0" + "\ue001",
    "\ue000" + "0" * 32 + ":0\ue001",
    "\ue000" + "f" * 32 + ":1\ue001",
    "&#xE000;" + "0" * 32 + ":0&#xE001;",
    "<em>&#xe000;" + "a" * 32 + ":1&#xe001;</em>",
    "&#xE000;0&#xE001;",
    "&#57344;0&#57345;",
    "<span>&#xe000;0&#xe001;</span>",
    '<a href="https://evil.example/&#xE000;0&#xE001;" title="&#xE000;0&#xE001;">x</a>',
    "`&#xE000;0&#xE001;`",
]


@pytest.mark.parametrize("forged", FORGED_MARKS)
def test_forged_link_marks_never_become_links(forged):
    html = render(f"[00:42:05] {forged} [[x]] {forged}")

    anchors = [attributes for tag, attributes in tags_in(html) if tag == "a"]
    ours = [a for a in anchors if "class" in a]
    assert ours == [
        {
            "class": "timestamp",
            "href": "https://www.youtube.com/watch?v=oX7OduG1YmI&t=2525s",
            "data-seconds": "2525",
            "rel": "noopener noreferrer",
        },
        {"class": "wikilink wikilink--topic", "href": "/topics/x/", "rel": "noopener noreferrer"},
    ]
    assert html.count("00:42:05") == 1


def test_a_malicious_wikilink_label_is_text():
    html = render('[[x|<script>alert(1)</script>]] [[y|"><img src=x onerror=alert(1)>]]')
    assert html == (
        f'<p><a class="wikilink wikilink--topic" href="/topics/x/" {REL}>'
        "&lt;script&gt;alert(1)&lt;/script&gt;</a> "
        f'<a class="wikilink wikilink--topic" href="/topics/y/" {REL}>'
        '"&gt;&lt;img src=x onerror=alert(1)&gt;</a></p>\n'
    )


def test_a_malicious_link_for_result_cannot_escape_its_attributes():
    html = render(
        "[[x]]",
        link_for=lambda slug: ("javascript:alert(1)", 'x" onclick="alert(1)'),
    )
    assert tags_in(html) == [
        ("p", {}),
        ("a", {"class": 'x" onclick="alert(1)', "rel": "noopener noreferrer"}),
    ]


def test_render_timestamp_link():
    assert render_timestamp_link(VIDEO_ID, 2525) == (
        '<a class="timestamp" href="https://www.youtube.com/watch?v=oX7OduG1YmI&amp;t=2525s" '
        'data-seconds="2525">00:42:05</a>'
    )


@pytest.mark.parametrize("video_id", ['"><script>alert(1)</script>', "short"])
def test_render_timestamp_link_refuses_what_is_not_a_video_id(video_id):
    with pytest.raises(ValueError, match="not a YouTube video id"):
        render_timestamp_link(video_id, 1)


@pytest.mark.skipif(not SAMPLE.is_file(), reason=f"the shared sample is not at {SAMPLE}")
def test_rendered_sample_links_every_timestamp_the_parser_found():
    parsed = parse_note(decode_note(SAMPLE.read_bytes()))
    html = render(parsed.body_markdown, video_id=parsed.video_id)
    anchors = [attributes for tag, attributes in tags_in(html) if tag == "a"]
    timestamp_seconds = [int(a["data-seconds"]) for a in anchors if a["class"] == "timestamp"]
    wikilink_hrefs = [a["href"] for a in anchors if a["class"] != "timestamp"]
    assert timestamp_seconds == [timestamp.seconds for timestamp in parsed.timestamps]
    assert wikilink_hrefs == [f"/topics/{link.target_slug}/" for link in parsed.links]
    assert "yt-timestamp" not in html
