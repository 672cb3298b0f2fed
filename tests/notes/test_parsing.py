"""The vault note parser: slugs, timestamps, decoding, front matter, links and sentences."""

import codecs
import re
import time
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from notes.parsing import (
    TIMESTAMP_MAX_SECONDS,
    Limits,
    NoteError,
    Problem,
    Sentence,
    Timestamp,
    WikiLink,
    decode_note,
    find_wikilinks,
    format_timestamp,
    parse_note,
    parse_timestamp,
    slugify_title,
    youtube_url,
)

SHARED = Path(__file__).resolve().parents[3] / "shared"
SAMPLE = SHARED / "samples" / "open_source_in_ai_development_and_safety.md"
CORPUS_NAMES = [
    "3blue1brown_gpt_architecture.md",
    "aidotengineer_agent_evaluation.md",
    "asianometry_smartphone_cameras.md",
    "causalpython_llm_causality_workshop.md",
    "curve_wars.md",
    "gregisenberg_ux_design.md",
    "hu-po_dinov2.md",
    "lennyspodcast_data_org.md",
    "mmdetection.md",
    "multimodal_models.md",
    "notion_dashboards.md",
    "theaccountantguy_notion_pdf.md",
]
VAULT_FILES = [SAMPLE, *(SHARED / "corpus" / name for name in CORPUS_NAMES)]
needs_shared = pytest.mark.skipif(
    not SHARED.is_dir(), reason=f"the shared sample and corpus are not checked out at {SHARED}"
)

# Counted without the parser: each anchor-style timestamp also shows its label in brackets.
BRACKETED_TIME_RE = re.compile(r"\[\d+:\d\d(?::\d\d)?\]")
SLUG_RE = re.compile(r"[^\W_]+(?:_[^\W_]+)*")
VIDEO_ID = "oX7OduG1YmI"


def note_text(body: str, front_matter: str = f"title: A note\nvideoId: {VIDEO_ID}") -> str:
    """A note whose front matter takes lines 1-4, so its body starts on line 5."""
    return f"---\n{front_matter}\n---\n{body}"


def parse_body(body: str):
    return parse_note(note_text(body))


def read_note(path: Path):
    return parse_note(decode_note(path.read_bytes()))


def note_error(text: str) -> NoteError:
    with pytest.raises(NoteError) as caught:
        parse_note(text)
    return caught.value


# Slugs


@pytest.mark.parametrize(
    ("text", "slug"),
    [
        ("Open source in AI development and safety", "open_source_in_ai_development_and_safety"),
        ("Role of AI in smartphone photography ", "role_of_ai_in_smartphone_photography"),
        ("role_of_ai_in_smartphone_photography", "role_of_ai_in_smartphone_photography"),
        ("hu-po", "hu_po"),
        ("  --Hello,   World!--  ", "hello_world"),
        ("snake__case", "snake_case"),
        ("Ökonomie der KI", "ökonomie_der_ki"),
        ("O\u0308konomie", "ökonomie"),  # decomposed umlaut, composed by NFC
        ("機械学習", "機械学習"),
        ("हिन्दी भाषा", "हिन्दी_भाषा"),  # vowel signs are combining marks, not separators
        ("GPT-4o (2024)", "gpt_4o_2024"),
        ("???", ""),
    ],
)
def test_slugify_title(text, slug):
    assert slugify_title(text) == slug


@given(st.text())
def test_slugify_title_is_idempotent(text):
    slug = slugify_title(text)
    assert slugify_title(slug) == slug


@given(st.text())
def test_slugify_title_never_leaves_stray_underscores(text):
    slug = slugify_title(text)
    assert not slug.startswith("_")
    assert not slug.endswith("_")
    assert "__" not in slug


# Timestamps


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("00:42:05", 2525),
        ("0:42:05", 2525),
        ("42:05", 2525),
        ("5:03", 303),
        ("[00:42:05]", 2525),
        ("[0:42:05]", 2525),
        ("[42:05]", 2525),
        ("00:00:00", 0),
        ("1:02:03", 3723),
        ("100:00:00", 360000),
    ],
)
def test_parse_timestamp(text, seconds):
    assert parse_timestamp(text) == seconds


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("00:99:99", "minutes must be 0-59, got 99"),
        ("00:60:00", "minutes must be 0-59, got 60"),
        ("[00:00:60]", "seconds must be 0-59, got 60"),
        ("75:30", "minutes must be 0-59, got 75"),
    ],
)
def test_parse_timestamp_rejects_impossible_values(text, reason):
    with pytest.raises(ValueError, match=f"^{re.escape(reason)}$"):
        parse_timestamp(text)


@pytest.mark.parametrize(
    "text",
    ["", "abc", "42", "1:2:3", "00:42:5", "-1:00:00", "00:42:05:01", "[00:42:05", "٠٠:٤٢:٠٥"],
)
def test_parse_timestamp_rejects_garbage(text):
    with pytest.raises(ValueError, match=r"^not a timestamp: .* \(expected HH:MM:SS"):
        parse_timestamp(text)


@pytest.mark.parametrize(
    ("seconds", "label"),
    [
        (0, "00:00:00"),
        (59, "00:00:59"),
        (2525, "00:42:05"),
        (3723, "01:02:03"),
        (360000, "100:00:00"),
    ],
)
def test_format_timestamp(seconds, label):
    assert format_timestamp(seconds) == label


def test_format_timestamp_rejects_negative_seconds():
    with pytest.raises(ValueError, match="must not be negative"):
        format_timestamp(-1)


@given(st.integers(min_value=0, max_value=10**6 - 1))
def test_format_then_parse_gives_the_seconds_back(seconds):
    assert parse_timestamp(format_timestamp(seconds)) == seconds


@given(st.integers(min_value=0, max_value=10**6 - 1))
def test_parse_reads_the_short_forms(seconds):
    hours, remainder = divmod(seconds, 3600)
    minutes, rest = divmod(remainder, 60)
    short = f"{hours}:{minutes:02d}:{rest:02d}" if hours else f"{minutes}:{rest:02d}"
    assert parse_timestamp(short) == seconds
    assert parse_timestamp(f"[{short}]") == seconds


def test_youtube_url():
    assert youtube_url(VIDEO_ID) == "https://www.youtube.com/watch?v=oX7OduG1YmI"
    assert youtube_url(VIDEO_ID, 2525) == "https://www.youtube.com/watch?v=oX7OduG1YmI&t=2525s"
    assert youtube_url(VIDEO_ID, 0) == "https://www.youtube.com/watch?v=oX7OduG1YmI&t=0s"


@pytest.mark.parametrize("video_id", ["oX7OduG1Ym", "oX7OduG1Ym$", f"{VIDEO_ID}\n", '"><script>'])
def test_youtube_url_rejects_what_is_not_a_video_id(video_id):
    with pytest.raises(ValueError, match="not a YouTube video id"):
        youtube_url(video_id, 1)


def test_youtube_url_rejects_negative_seconds():
    with pytest.raises(ValueError, match="must not be negative"):
        youtube_url(VIDEO_ID, -5)


# Decoding


@pytest.mark.parametrize("data", [b"", b" \n\t\r\n  ", codecs.BOM_UTF8, codecs.BOM_UTF8 + b"\n"])
def test_decode_note_rejects_an_empty_file(data):
    with pytest.raises(NoteError) as caught:
        decode_note(data)
    assert (caught.value.line, caught.value.message) == (1, "empty file")
    assert str(caught.value) == "empty file"


def test_decode_note_rejects_a_binary_file():
    with pytest.raises(NoteError) as caught:
        decode_note(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    assert (caught.value.line, caught.value.message) == (1, "binary file, not a markdown note")


@pytest.mark.parametrize(
    ("data", "line", "message"),
    [
        (b"---\ntitle: x\nvideoId: \xff\n", 3, "not valid UTF-8 (byte 0xff at offset 22)"),
        (b"a\r\nb\r\n\xfe", 3, "not valid UTF-8 (byte 0xfe at offset 6)"),
        (b"a\rb\r\xc3(", 3, "not valid UTF-8 (byte 0xc3 at offset 4)"),
        (codecs.BOM_UTF8 + b"\xe9t\xe9", 1, "not valid UTF-8 (byte 0xe9 at offset 3)"),
    ],
)
def test_decode_note_locates_invalid_utf8(data, line, message):
    with pytest.raises(NoteError) as caught:
        decode_note(data)
    assert (caught.value.line, caught.value.message) == (line, message)


def test_decode_note_drops_the_byte_order_mark():
    assert decode_note(codecs.BOM_UTF8 + "---\ntitle: Ökonomie\n".encode()) == (
        "---\ntitle: Ökonomie\n"
    )


def test_decode_note_normalizes_newlines():
    assert decode_note(b"one\r\ntwo\rthree\nfour") == "one\ntwo\nthree\nfour"


# Front matter


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        pytest.param(
            "# Just a heading\n",
            1,
            "no front matter: a note must start with a '---' line",
            id="no front matter",
        ),
        pytest.param(
            "\n---\ntitle: T\nvideoId: oX7OduG1YmI\n---\n",
            1,
            "no front matter: a note must start with a '---' line",
            id="front matter not on line 1",
        ),
        pytest.param(
            "---\ntitle: T\nvideoId: oX7OduG1YmI\n\nBody [00:00:01].\n",
            1,
            "front matter opened on line 1 is never closed by a '---' line",
            id="unclosed",
        ),
        pytest.param(
            "---\ntitle: T\nvideoId: oX7OduG1YmI\nfoo: bar: baz\n---\n",
            4,
            "front matter is not valid YAML: mapping values are not allowed here",
            id="broken YAML",
        ),
        pytest.param(
            "---\ntitle: T\n\tvideoId: oX7OduG1YmI\n---\n",
            3,
            "front matter is not valid YAML: found character '\\t' that cannot start any token",
            id="tab in YAML",
        ),
        pytest.param(
            "---\n- title\n- videoId\n---\n",
            2,
            "front matter must be a mapping of keys to values (title: ...), not a list",
            id="list",
        ),
        pytest.param(
            "---\n\njust some words\n---\n",
            3,
            "front matter must be a mapping of keys to values (title: ...), not a single value",
            id="scalar",
        ),
        pytest.param("---\n---\nBody\n", 1, "front matter has no title", id="empty"),
        pytest.param(
            "---\nvideoId: oX7OduG1YmI\n---\n", 1, "front matter has no title", id="no title"
        ),
        pytest.param(
            '---\nvideoId: oX7OduG1YmI\ntitle: "  "\n---\n',
            3,
            "title must be a non-empty line of text",
            id="blank title",
        ),
        pytest.param(
            "---\ntitle: [a, b]\nvideoId: oX7OduG1YmI\n---\n",
            2,
            "title must be a non-empty line of text",
            id="list title",
        ),
        pytest.param(
            "---\ntitle: '???'\nvideoId: oX7OduG1YmI\n---\n",
            2,
            "title '???' has no letters or digits",
            id="title without letters",
        ),
        pytest.param(
            "---\ntitle: T\n---\nBody\n", 1, "front matter has no videoId", id="no videoId"
        ),
    ],
)
def test_parse_note_rejects_unusable_front_matter(text, line, message):
    error = note_error(text)
    assert (error.line, error.message) == (line, message)


@pytest.mark.parametrize(
    "video_id",
    ["oX7OduG1Ym", "oX7OduG1Ym$", "oX7OduG1YmIx", "", "oX7OduG1Y I", "[a, b]"],
    ids=["10 chars", "dollar", "12 chars", "empty", "space", "list"],
)
def test_parse_note_rejects_a_malformed_video_id(video_id):
    error = note_error(f"---\ntitle: T\nsource: vault\nvideoId: {video_id}\n---\n")
    value = ["a", "b"] if video_id == "[a, b]" else video_id.strip()
    assert error.line == 4
    assert error.message == (
        f"malformed videoId {value!r}: expected a YouTube video id, "
        "11 characters from A-Z, a-z, 0-9, '-' and '_'"
    )


def test_parse_note_keeps_every_front_matter_scalar_a_string():
    parsed = parse_note(
        "---\ntitle: 2024\nvideoId: 00012345678\npublished: 2024-05-01\ndraft: yes\n"
        "tags: [ai, 3]\n---\n"
    )
    assert parsed.video_id == "00012345678"
    assert parsed.title == "2024"
    assert parsed.slug == "2024"
    assert parsed.front_matter == {
        "title": "2024",
        "videoId": "00012345678",
        "published": "2024-05-01",
        "draft": "yes",
        "tags": ["ai", "3"],
    }


def test_parse_note_accepts_ids_with_dash_and_underscore():
    assert parse_note(note_text("", "title: T\nvideoId: yY8OFp0-U_w")).video_id == "yY8OFp0-U_w"


# Body, channel and line numbers


def test_body_start_line_maps_body_lines_to_file_lines():
    text = note_text("\n\n  \nFrom: [[cleoabram]] <br/>\n\nFirst line.\n\n\n")
    parsed = parse_note(text)
    assert parsed.body_start_line == 8
    assert parsed.body_markdown == "From: [[cleoabram]] <br/>\n\nFirst line."
    file_lines = text.split("\n")
    for offset, body_line in enumerate(parsed.body_markdown.split("\n")):
        assert file_lines[parsed.body_start_line - 1 + offset] == body_line


def test_channel_comes_from_the_from_line():
    parsed = parse_body("\nFrom: [[Hu-Po | hu-po]] <br/>\n\nText [00:00:01].\n")
    assert (parsed.channel_slug, parsed.channel_name) == ("hu_po", "Hu-Po")


def test_only_the_first_from_line_names_the_channel():
    parsed = parse_body("From: [[first]]\n\nFrom: [[second]]\n")
    assert parsed.channel_slug == "first"


def test_channel_is_none_without_a_from_line():
    parsed = parse_body("Just text about [[a topic]] [00:00:01].\n")
    assert (parsed.channel_slug, parsed.channel_name) == (None, None)


# Wikilinks


@pytest.mark.parametrize(
    ("markdown", "link"),
    [
        ("[[target]]", WikiLink("target", "target", "target", "", 5)),
        ("[[Some Target|its label]]", WikiLink("some_target", "Some Target", "its label", "", 5)),
        (
            "[[Some Target | its label ]]",
            WikiLink("some_target", "Some Target", "its label", "", 5),
        ),
        ("[[target#A Section|label]]", WikiLink("target", "target", "label", "A Section", 5)),
        ("[[target#A Section]]", WikiLink("target", "target", "target", "A Section", 5)),
        ("[[ spaced target ]]", WikiLink("spaced_target", "spaced target", "spaced target", "", 5)),
    ],
)
def test_wikilink_forms(markdown, link):
    assert parse_body(f"See {markdown} here.").links == (link,)


def test_links_keep_order_duplicates_and_file_lines():
    parsed = parse_body("From: [[chan]]\n\nA [[x]] and\nthen [[y|Y]].\n\n- item [[x]]\n")
    assert [(link.target_slug, link.line) for link in parsed.links] == [
        ("chan", 5),
        ("x", 7),
        ("y", 8),
        ("x", 10),
    ]


def test_links_in_code_are_not_links():
    body = (
        "Inline `[[not a link]]` code.\n\n```\n[[nor this]] [00:00:01]\n```\n\n    [[indented]]\n"
    )
    parsed = parse_body(body)
    assert parsed.links == ()
    assert parsed.timestamps == ()


def test_wikilink_with_an_escaped_pipe_in_a_table():
    parsed = parse_body("| a | b |\n|---|---|\n| x | [[c#sec\\|Label]] [00:00:07] |\n")
    assert parsed.links == (WikiLink("c", "c", "Label", "sec", 7),)
    assert parsed.timestamps == (Timestamp(7, "00:00:07", 7),)


def test_find_wikilinks_reads_a_bare_body():
    assert find_wikilinks("From: [[chan]]\n\nSee [[Other Note | it]] `[[code]]`.") == (
        WikiLink("chan", "chan", "chan", "", 1),
        WikiLink("other_note", "Other Note", "it", "", 3),
    )


def test_wikilink_without_letters_or_digits_stays_text():
    assert parse_body("Odd [[---]] and [[ ]] text.").links == ()


# Timestamps in the body


@pytest.mark.parametrize(
    ("markdown", "timestamp"),
    [
        ("[00:42:05]", Timestamp(2525, "00:42:05", 5)),
        ("[0:42:05]", Timestamp(2525, "0:42:05", 5)),
        ("[42:05]", Timestamp(2525, "42:05", 5)),
        ("[1:02:03]", Timestamp(3723, "1:02:03", 5)),
        (
            '<a class="yt-timestamp" data-t="00:42:05">[00:42:05]</a>',
            Timestamp(2525, "00:42:05", 5),
        ),
    ],
)
def test_each_timestamp_style_is_found_once(markdown, timestamp):
    parsed = parse_body(f"A claim {markdown}.")
    assert parsed.timestamps == (timestamp,)
    assert parsed.problems == ()


@pytest.mark.parametrize(
    "markdown",
    [
        "[00:42:05](https://youtu.be/x)",
        "[[00:42:05]]",
        "`[00:42:05]`",
        "[!TIP]",
        "[1:2:3]",
        "00:42:05",
        "<a href='https://youtu.be/x'>[link]</a>",
    ],
)
def test_what_is_not_a_timestamp(markdown):
    assert parse_body(f"Text {markdown} text.").timestamps == ()


def test_impossible_timestamp_is_reported_and_skipped():
    parsed = parse_body(
        "Intro.\n\nFirst [00:99:99] then [00:00:10].\n"
        'Later <a class="yt-timestamp" data-t="00:61:00">[00:61:00]</a> claim.'
    )
    assert parsed.timestamps == (Timestamp(10, "00:00:10", 7),)
    assert parsed.problems == (
        Problem(7, "impossible timestamp [00:99:99]: minutes must be 0-59, got 99"),
        Problem(8, "impossible timestamp [00:61:00]: minutes must be 0-59, got 61"),
    )
    assert [sentence.text for sentence in parsed.sentences] == ["First then."]


# The other ways real vaults write timestamps


@pytest.mark.parametrize(
    ("markdown", "timestamps"),
    [
        ("[01:15:23, 01:15:26]", [(4523, "01:15:23"), (4526, "01:15:26")]),
        ("[1:15:23,1:15:26 , 15:30]", [(4523, "1:15:23"), (4526, "1:15:26"), (930, "15:30")]),
        ("[00:01:12](#)", [(72, "00:01:12")]),
        ("([00:01:12](#))", [(72, "00:01:12")]),
        ("[01:12](#)", [(72, "01:12")]),
        ("[0:01:12](#t=72)", [(72, "0:01:12")]),
        ("[00:01:12]()", [(72, "00:01:12")]),
        ("[00:01:12, 00:01:20](#)", [(72, "00:01:12"), (80, "00:01:20")]),
        ("[05:03]", [(303, "05:03")]),
        ("[5:03]", [(303, "5:03")]),
        ("[1:05:03]", [(3903, "1:05:03")]),
    ],
)
def test_each_form_of_timestamp_that_vaults_write_is_read(markdown, timestamps):
    parsed = parse_body(f"Intro.\n\nOpen models are safer {markdown}.")

    assert parsed.timestamps == tuple(Timestamp(seconds, label, 7) for seconds, label in timestamps)
    assert parsed.sentences == (Sentence("Open models are safer.", timestamps[0][0], 7, ()),)
    assert parsed.problems == ()


def test_a_list_in_one_bracket_dates_its_sentence_with_its_first_timestamp():
    body = "Agents fail in production [00:02:46, 00:02:54]. Costs are unbounded [00:08:21]."
    assert sentences_of(body) == [
        ("Agents fail in production.", 166),
        ("Costs are unbounded.", 501),
    ]


def test_a_timestamp_link_in_parentheses_after_the_sentence_stays_with_it():
    body = "Open models are safer. ([00:01:12](#)) Closed ones are not ([00:01:30](#))."
    assert sentences_of(body) == [("Open models are safer.", 72), ("Closed ones are not.", 90)]


def test_an_impossible_timestamp_in_a_list_is_reported_and_the_others_kept():
    parsed = parse_body("A claim [00:99:99, 00:00:05, 1:60].")

    assert parsed.timestamps == (Timestamp(5, "00:00:05", 5),)
    assert parsed.problems == (
        Problem(5, "impossible timestamp [00:99:99]: minutes must be 0-59, got 99"),
        Problem(5, "impossible timestamp [1:60]: seconds must be 0-59, got 60"),
    )
    assert sentences_of("A claim [00:99:99, 00:00:05, 1:60].") == [("A claim.", 5)]


def test_an_impossible_timestamp_link_is_reported_and_skipped():
    parsed = parse_body("A claim [00:61:00](#) made [00:00:04](#).")
    assert parsed.timestamps == (Timestamp(4, "00:00:04", 5),)
    assert parsed.problems == (
        Problem(5, "impossible timestamp [00:61:00]: minutes must be 0-59, got 61"),
    )


@pytest.mark.parametrize(
    "markdown",
    [
        "[00:42:05](https://youtu.be/x)",
        "[00:42:05](/elsewhere)",
        "[00:42:05, soon]",
        "[00:42:05,]",
        "[, 00:42:05]",
        "[00:42:05 00:42:06]",
        "`[00:42:05, 00:42:06]`",
        "`[00:01:12](#)`",
    ],
)
def test_what_is_not_a_timestamp_list_or_link(markdown):
    assert parse_body(f"Text {markdown} text.").timestamps == ()


def test_timestamps_in_a_list_or_link_keep_their_own_lines():
    parsed = parse_body("One\n[00:00:01,\n00:00:02] two [00:00:03](#)\nthree ([00:00:04](#)).")
    # A list does not run over a line break: the first bracket is text, the rest are read.
    assert [(t.seconds, t.line) for t in parsed.timestamps] == [(3, 7), (4, 8)]


def test_a_timestamp_past_the_end_of_the_video_is_reported_and_skipped():
    body = (
        "Early claim [00:09:59].\n\n"
        "Late claim [00:10:01, 00:09:00]. Very late ([01:00:00](#)).\n"
        "At the very end [10:00]."
    )
    parsed = parse_note(note_text(body), duration_seconds=600)

    assert parsed.timestamps == (
        Timestamp(599, "00:09:59", 5),
        Timestamp(540, "00:09:00", 7),
        Timestamp(600, "10:00", 8),
    )
    assert parsed.problems == (
        Problem(
            7, "timestamp [00:10:01] is past the end of the video, which lasts 00:10:00; left out"
        ),
        Problem(
            7, "timestamp [01:00:00] is past the end of the video, which lasts 00:10:00; left out"
        ),
    )
    # The list's next timestamp dates the sentence; a sentence with no time left is no claim.
    assert [(s.text, s.seconds) for s in parsed.sentences] == [
        ("Early claim.", 599),
        ("Late claim.", 540),
        ("At the very end.", 600),
    ]


def test_without_a_known_duration_no_timestamp_is_too_late():
    parsed = parse_note(note_text("Late claim [99:00:00]."))
    assert parsed.timestamps == (Timestamp(356400, "99:00:00", 5),)
    assert parsed.problems == ()


# Limits and hostile input: refused or reported before they cost time, memory or a row


def test_a_wikilink_target_longer_than_its_column_is_reported_and_left_out():
    target = " ".join(["word"] * 250)
    parsed = parse_body(f"See [[{target}]] and [[Fine]] [00:00:01].\n")

    assert parsed.links == (WikiLink("fine", "Fine", "Fine", "", 5),)
    assert parsed.problems == (
        Problem(
            5,
            f"wikilink target '{' '.join(['word'] * 12)}…' is longer than 200 characters, "
            "the most a link target may have; link left out",
        ),
    )
    assert [sentence.link_slugs for sentence in parsed.sentences] == [("fine",)]


def test_a_wikilink_target_of_exactly_its_column_is_kept():
    parsed = parse_body(f"See [[{'x' * 200}]].")
    assert [len(link.target_slug) for link in parsed.links] == [200]
    assert parsed.problems == ()


@pytest.mark.parametrize(
    ("front_matter", "line", "message"),
    [
        pytest.param(
            'title: "Nul\\0title"',
            2,
            "front matter holds the character U+0000, which cannot be stored",
            id="NUL in a value",
        ),
        pytest.param(
            'title: T\ntags: [ai, "\\uD800"]',
            3,
            "front matter holds the character U+D800, which cannot be stored",
            id="lone surrogate in a list",
        ),
        pytest.param(
            'title: T\n"key\\0": x',
            3,
            "front matter holds the character U+0000, which cannot be stored",
            id="NUL in a key",
        ),
        pytest.param(
            "title: T\nvideoId: oX7OduG1YmI\ntitle: U",
            4,
            "front matter key 'title' is given twice, on lines 2 and 4",
            id="duplicate key",
        ),
        pytest.param(
            "title: T\nmeta:\n  a: 1\n  a: 2",
            5,
            "front matter key 'a' is given twice, on lines 4 and 5",
            id="duplicate nested key",
        ),
        pytest.param(
            "title: T\nnested: " + "[" * 10_000 + "]" * 10_000,
            3,
            "front matter is nested more than 20 levels deep (IMPORT_MAX_FRONT_MATTER_DEPTH)",
            id="10,000 levels of flow lists",
        ),
        pytest.param(
            "title: T\n" + "".join(f"{'  ' * depth}k{depth}:\n" for depth in range(30)) + "x",
            22,  # k19, whose value would be the 21st level
            "front matter is nested more than 20 levels deep (IMPORT_MAX_FRONT_MATTER_DEPTH)",
            id="block mappings",
        ),
        pytest.param(
            'title: T\na: &a ["lol", "lol"]\nb: &b [*a, *a]\nc: [*b, *b]',
            4,
            "front matter uses the YAML alias *a; aliases are not allowed",
            id="billion laughs",
        ),
    ],
)
def test_front_matter_that_cannot_be_stored_or_costs_too_much_is_refused(
    front_matter, line, message
):
    error = note_error(f"---\n{front_matter}\nvideoId: {VIDEO_ID}\n---\nBody\n")
    assert (error.line, error.message) == (line, message)


def test_a_title_longer_than_its_column_is_refused_on_its_line():
    error = note_error(note_text("Body", f"videoId: {VIDEO_ID}\ntitle: {'x' * 301}"))
    assert (error.line, error.message) == (
        3,
        "title is 301 characters long, more than the 300 a title may have",
    )


def test_a_title_whose_slug_is_longer_than_its_column_is_refused():
    error = note_error(note_text("Body", f"title: {'ab ' * 80}\nvideoId: {VIDEO_ID}"))
    assert (error.line, error.message) == (
        2,
        "title gives a slug of 239 characters, more than the 200 a slug may have; "
        "shorten the title",
    )


@pytest.mark.parametrize(
    ("label", "message"),
    [
        ("600000:00:00", "later than 596523:14:07, the latest time a note may name"),
        ("596523:14:08", "later than 596523:14:07, the latest time a note may name"),
        ("9" * 5000 + ":00:00", "later than 596523:14:07, the latest time a note may name"),
    ],
    ids=["600,000 hours", "one second too late", "5,000 digits"],
)
def test_a_timestamp_beyond_the_integer_column_is_impossible(label, message):
    with pytest.raises(ValueError, match=f"^{message}$"):
        parse_timestamp(label)
    parsed = parse_body(f"Late [{label}]. On time [00:00:01].")
    assert parsed.problems == (
        Problem(
            5, f"impossible timestamp [{label if len(label) < 60 else label[:59] + '…'}]: {message}"
        ),
    )
    assert [sentence.seconds for sentence in parsed.sentences] == [1]


def test_the_latest_storable_timestamp_is_possible():
    assert parse_timestamp("596523:14:07") == TIMESTAMP_MAX_SECONDS


def test_a_file_larger_than_the_limit_is_refused_before_decoding():
    limits = Limits(file_bytes=10)
    assert decode_note(b"---\nx: 12\n", limits) == "---\nx: 12\n"
    with pytest.raises(NoteError) as caught:
        decode_note(b"\xff" * 11, limits)
    assert (caught.value.line, caught.value.message) == (
        1,
        "file is larger than 10 bytes, the most a note may have (IMPORT_MAX_FILE_BYTES)",
    )


@pytest.mark.parametrize(
    ("body", "limits", "line", "message"),
    [
        pytest.param(
            "Fine.\n" + "x" * 101 + "\n",
            Limits(line_chars=100),
            6,
            "line is 101 characters long, more than the 100 a line may have "
            "(IMPORT_MAX_LINE_CHARS)",
            id="line",
        ),
        pytest.param(
            "A [00:00:01] b [00:00:02]\nc [00:00:03] [00:99:99]",
            Limits(timestamps=3),
            6,
            "more than 3 timestamps, the most a note may have (IMPORT_MAX_TIMESTAMPS)",
            id="timestamps",
        ),
        pytest.param(
            "[[a]] [[b]]\n\n[[c]]",
            Limits(links=2),
            7,
            "more than 2 wikilinks, the most a note may have (IMPORT_MAX_LINKS)",
            id="links",
        ),
    ],
)
def test_a_body_past_a_limit_is_refused(body, limits, line, message):
    with pytest.raises(NoteError) as caught:
        parse_note(note_text(body), limits)
    assert (caught.value.line, caught.value.message) == (line, message)


def test_front_matter_past_its_size_limit_is_refused():
    text = note_text("Body", f"title: T\nvideoId: {VIDEO_ID}\nnotes: {'x' * 100}")
    with pytest.raises(NoteError) as caught:
        parse_note(text, Limits(front_matter_chars=100))
    assert (caught.value.line, caught.value.message) == (
        1,
        "front matter is 137 characters long, more than the 100 it may have "
        "(IMPORT_MAX_FRONT_MATTER_CHARS)",
    )


def test_a_sentence_takes_at_most_a_hundred_trailing_timestamps():
    trailing = " [00:00:01]" * 100 + " [00:00:02]"
    sentences = parse_body(f"First.{trailing} Second [00:00:03].").sentences
    assert [(sentence.text, sentence.seconds) for sentence in sentences] == [
        ("First.", 1),
        ("Second.", 2),
    ]


def one_megabyte_note() -> str:
    """A note of 1 MB in one paragraph, within the default limits: the worst case for splitting
    sentences, which happens within a paragraph."""
    line = (
        "Dr. Smith argues, e.g. about [[Open models]], that more eyes find bugs sooner "
        "[{:02d}:{:02d}:{:02d}]! Others disagree (cf. [[Closed models]]). Still more words.\n"
    )
    lines = [line.format(n // 3600, n // 60 % 60, n % 60) for n in range(7_000)]
    return note_text("".join(lines))


def test_a_one_megabyte_note_parses_in_a_few_seconds():
    text = one_megabyte_note()
    assert 1_000_000 <= len(text.encode()) <= 1_100_000

    started = time.process_time()
    parsed = parse_note(text)
    elapsed = time.process_time() - started

    assert len(parsed.timestamps) == 7_000
    assert len(parsed.sentences) == 7_000
    # Linear parsing takes about a second on a busy 2-core machine; quadratic took hours.
    assert elapsed < 5


@pytest.mark.parametrize(
    "line",
    [
        "x. " + "[00:00:01]." * 9_000 + "x",
        "a" + "." * 99_000 + "x",
        "a" + " " * 99_000 + "b [00:00:01].",
        "." + '"' * 99_000 + "x",
        "[" + "1" * 99_000 + ":00]",
    ],
    ids=["timestamps and periods", "periods", "spaces", "quotes", "digits"],
)
def test_hostile_lines_parse_in_a_few_seconds(line):
    started = time.process_time()
    parse_body(line)
    assert time.process_time() - started < 5


# Sentences


def sentences_of(body: str) -> list[tuple[str, int]]:
    return [(sentence.text, sentence.seconds) for sentence in parse_body(body).sentences]


def test_sentence_takes_its_first_timestamp_and_that_timestamps_line():
    parsed = parse_body(
        "From: [[chan]] <br/>\n\nA claim made\nover two lines [00:00:02] [00:00:03]."
    )
    assert parsed.sentences == (Sentence("A claim made over two lines.", 2, 8, ()),)


def test_timestamp_at_the_start_of_a_block_dates_the_next_sentence():
    body = '<a class="yt-timestamp" data-t="00:41:26">[00:41:26]</a> In a world where it grows.'
    assert sentences_of(body) == [("In a world where it grows.", 2486)]


def test_timestamp_opening_a_line_dates_the_next_sentence_not_the_previous():
    body = "Nothing dated here.\n[00:00:07] This one is dated."
    assert sentences_of(body) == [("This one is dated.", 7)]


def test_timestamp_after_the_closing_punctuation_belongs_to_that_sentence():
    body = (
        "An undated opening. Her insights cover hiring and a strong team culture. "
        '<a class="yt-timestamp" data-t="00:00:51">[00:00:51]</a>'
    )
    assert sentences_of(body) == [("Her insights cover hiring and a strong team culture.", 51)]


def test_a_run_of_timestamps_stays_with_one_sentence():
    body = (
        'Held in Vancouver <a class="yt-timestamp" data-t="00:03:57">[00:03:57]</a>, '
        '<a class="yt-timestamp" data-t="00:04:03">[00:04:03]</a>. Next one [00:05:00].'
    )
    assert sentences_of(body) == [("Held in Vancouver.", 237), ("Next one.", 300)]


def test_trailing_timestamps_on_their_own_line_date_the_last_sentence():
    assert sentences_of("The last claim.\n[00:00:09]") == [("The last claim.", 9)]


def test_a_block_of_only_timestamps_is_no_sentence():
    parsed = parse_body("[00:00:01], [00:00:02].\n\n- [00:00:03]\n")
    assert len(parsed.timestamps) == 3
    assert parsed.sentences == ()


def test_abbreviations_decimals_and_lowercase_continuations_do_not_split():
    body = (
        "Meta ships models (e.g. Llama 3.1, i.e. open ones) [00:00:01]. "
        "For Dr. AI the scan vs. a doctor matters [00:00:02]. "
        "It rose 3.5 pct. in May, then fell [00:00:03]! Really? Yes [00:00:04]."
    )
    assert sentences_of(body) == [
        ("Meta ships models (e.g. Llama 3.1, i.e. open ones).", 1),
        ("For Dr. AI the scan vs. a doctor matters.", 2),
        ("It rose 3.5 pct. in May, then fell!", 3),
        ("Yes.", 4),
    ]


def test_an_abbreviation_before_the_timestamp_keeps_one_period():
    body = 'Groups like "Friend," "Colleague," etc. [00:45:24].'
    assert sentences_of(body) == [('Groups like "Friend," "Colleague," etc.', 2724)]


def test_blocks_are_separate_and_markup_is_removed():
    body = (
        "## Heading claim [00:00:01]\n"
        "*   **Bold lead**: with `code` and <em>html</em> [[x|a link]] [00:00:02]\n"
        "*   Second item [00:00:03]\n"
        "\n"
        "> Quoted *claim* [00:00:04].\n"
    )
    assert parse_body(body).sentences == (
        Sentence("Heading claim", 1, 5, ()),
        Sentence("Bold lead: with code and html a link", 2, 6, ("x",)),
        Sentence("Second item", 3, 7, ()),
        Sentence("Quoted claim.", 4, 9, ()),
    )


def test_link_slugs_are_distinct_and_in_order():
    body = "[[B]] beats [[a|A]] and [[b|again B]] [00:00:01]. Then [[c]] [00:00:02]."
    assert [sentence.link_slugs for sentence in parse_body(body).sentences] == [("b", "a"), ("c",)]


def test_the_from_line_and_a_callout_title_make_no_sentence():
    body = (
        "From: [[chan]] [00:00:01] <br/>\n\n"
        ">[!TIP] **Truth Seeking** [00:00:02]\n"
        '>Seek out what is true <a class="yt-timestamp" data-t="00:00:03">[00:00:03]</a>.\n'
    )
    parsed = parse_body(body)
    assert [timestamp.seconds for timestamp in parsed.timestamps] == [1, 2, 3]
    assert parsed.sentences == (Sentence("Seek out what is true.", 3, 8, ()),)


@needs_shared
def test_sample_sentences():
    sentences = {sentence.seconds: sentence for sentence in read_note(SAMPLE).sentences}
    expected_openings = {
        2525: "Historically, the software industry has seen open source software become safer",
        2534: "This is because when software is open source",
        2500: "Some argue that keeping models closed",
        2486: "In a world where AI continues to get smarter",
    }
    for seconds, opening in expected_openings.items():
        assert sentences[seconds].text.startswith(opening)
    assert sentences[2525] == Sentence(
        "Historically, the software industry has seen open source software become safer and "
        "more secure.",
        2525,
        21,
        (),
    )
    assert sentences[2486].line == 15
    assert sentences[2500].link_slugs == ("advantages_and_risks_of_ai_technology",)
    assert sentences[2500].text.endswith("preventing malicious actors from misusing the AI.")


@needs_shared
def test_sample_note():
    parsed = read_note(SAMPLE)
    assert (parsed.title, parsed.slug, parsed.video_id) == (
        "Open source in AI development and safety",
        "open_source_in_ai_development_and_safety",
        "oX7OduG1YmI",
    )
    assert (parsed.channel_slug, parsed.channel_name) == ("cleoabram", "cleoabram")
    assert parsed.body_start_line == 6
    assert len(parsed.timestamps) == 22
    assert len(parsed.sentences) == 17
    assert parsed.links[1] == WikiLink(
        "advantages_and_risks_of_ai_technology",
        "advantages_and_risks_of_ai_technology",
        "AI",
        "",
        8,
    )


# The real vault


@needs_shared
def test_the_corpus_is_the_one_these_tests_know():
    assert sorted(path.name for path in (SHARED / "corpus").glob("*.md")) == CORPUS_NAMES


@needs_shared
@pytest.mark.parametrize("path", VAULT_FILES, ids=lambda path: path.name)
def test_vault_note_parses_cleanly(path):
    parsed = read_note(path)
    file_lines = decode_note(path.read_bytes()).split("\n")

    assert parsed.problems == ()
    assert parsed.channel_slug
    assert len(parsed.timestamps) == len(BRACKETED_TIME_RE.findall(parsed.body_markdown))
    for timestamp in parsed.timestamps:
        assert f"[{timestamp.label}]" in file_lines[timestamp.line - 1]
    for link in parsed.links:
        assert SLUG_RE.fullmatch(link.target_slug)
        assert slugify_title(link.target_slug) == link.target_slug
        assert "[[" in file_lines[link.line - 1]
        assert link.target in file_lines[link.line - 1]
    assert parsed.sentences
    for sentence in parsed.sentences:
        assert sentence.text
        assert not re.search(r"\[\d+:\d\d|<a |\[\[|\ufffc", sentence.text)
        assert sentence.seconds in {timestamp.seconds for timestamp in parsed.timestamps}


@needs_shared
@pytest.mark.parametrize(
    ("name", "seconds", "text"),
    [
        (
            "lennyspodcast_data_org.md",
            51,
            "Her insights cover organizational structure, hiring practices, metric definition, "
            "and fostering a strong team culture.",
        ),
        (
            "lennyspodcast_data_org.md",
            4728,
            'Jessica encourages everyone to "truth seek" – to actively seek out what\'s fact '
            "versus fiction in a world of misinformation.",
        ),
        (
            "causalpython_llm_causality_workshop.md",
            237,
            "The Workshop on Large Language Models and Causality is an event organized as part of "
            "the 38th annual Conference on Advances in Artificial Intelligence (AAAI 2024), held "
            "in Vancouver.",
        ),
        (
            "gregisenberg_ux_design.md",
            1656,
            'For Dr. AI, the skin scan with a danger level and diagnosis is the primary "wow '
            'factor".',
        ),
        ("3blue1brown_gpt_architecture.md", 1019, "Zero: perpendicular."),
    ],
)
def test_corpus_sentences(name, seconds, text):
    sentences = read_note(SHARED / "corpus" / name).sentences
    assert text in [sentence.text for sentence in sentences if sentence.seconds == seconds]
