"""`manage.py import_notes` on the real corpus and on every kind of bad input."""

import io
from pathlib import Path

import pytest
from django.core.management import call_command

from claims.models import Appearance, Claim, Status
from notes.models import Channel, Note, Video, WikiLink

SHARED = Path(__file__).resolve().parents[3] / "shared"
SAMPLES = SHARED / "samples"
CORPUS = SHARED / "corpus"

needs_shared = pytest.mark.skipif(
    not CORPUS.is_dir(), reason="../shared/corpus is not beside this checkout"
)

pytestmark = pytest.mark.django_db

GOOD_NOTE = """---
title: {title}
videoId: {video_id}
---

From: [[{channel}]] <br/>

Open models get safer as more people read them [00:42:05]. See [[Some Topic | a topic]].
"""


def run_import(*args) -> tuple[int, list[str], str]:
    """Run the command; return its exit status, its stderr lines and its last stdout line."""
    out, err = io.StringIO(), io.StringIO()
    status = 0
    try:
        call_command("import_notes", *map(str, args), stdout=out, stderr=err)
    except SystemExit as exit_:
        status = exit_.code
    return status, err.getvalue().splitlines(), out.getvalue().splitlines()[-1]


def write(folder: Path, name: str, content: str | bytes) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def good_note(title="A good note", video_id="oX7OduG1YmI", channel="cleoabram") -> str:
    return GOOD_NOTE.format(title=title, video_id=video_id, channel=channel)


@needs_shared
def test_sample_and_corpus_import_without_errors_then_stay_unchanged():
    status, errors, summary = run_import(SAMPLES, CORPUS)

    assert (status, errors) == (0, [])
    assert summary == "13 files: 13 created, 0 updated, 0 unchanged, 0 errors"
    assert Note.objects.count() == 13
    assert Video.objects.count() == 13

    status, errors, summary = run_import(SAMPLES, CORPUS)

    assert (status, errors) == (0, [])
    assert summary == "13 files: 0 created, 0 updated, 13 unchanged, 0 errors"
    assert Note.objects.count() == 13


@needs_shared
def test_sample_note_fields_and_links():
    run_import(SAMPLES)

    note = Note.objects.get()
    assert note.slug == "open_source_in_ai_development_and_safety"
    assert note.title == "Open source in AI development and safety"
    assert note.video.youtube_id == "oX7OduG1YmI"
    assert note.video.channel == Channel.objects.get(slug="cleoabram")
    assert note.front_matter == {
        "title": "Open source in AI development and safety",
        "videoId": "oX7OduG1YmI",
    }
    assert note.body_markdown.lstrip().startswith("From: [[cleoabram]]")
    assert set(note.links.values_list("target_slug", flat=True)) == {
        "cleoabram",
        "advantages_and_risks_of_ai_technology",
        "ethical_considerations_in_robotics_and_ai",
        "technological_advancements_and_global_competition_in_ai",
    }
    assert note.links.get(target_slug="advantages_and_risks_of_ai_technology").label == "AI"


@needs_shared
def test_corpus_links_are_normalized_to_slugs():
    run_import(CORPUS)

    targets = set(WikiLink.objects.values_list("target_slug", flat=True))
    assert "role_of_ai_in_smartphone_photography" in targets
    assert "mmdetection_open_source_object_detection_toolkit" in targets
    assert "large_language_models_and_causality" in targets
    assert not [slug for slug in targets if slug != slug.lower() or " " in slug]
    assert Channel.objects.get(slug="hu_po").videos.count() == 3


@needs_shared
def test_extract_claims_creates_drafts_at_the_right_seconds_and_never_duplicates():
    status, errors, summary = run_import("--extract-claims", SAMPLES)
    assert (status, errors) == (0, [])
    drafts = Claim.objects.drafts().count()
    assert drafts > 10
    assert summary.endswith(f"({drafts} draft claims extracted)")

    opening = Appearance.objects.get(start_seconds=2525)
    assert opening.video.youtube_id == "oX7OduG1YmI"
    assert opening.note.slug == "open_source_in_ai_development_and_safety"
    assert opening.claim.status == Status.DRAFT
    assert opening.claim.text.startswith(
        "Historically, the software industry has seen open source software become safer"
    )
    assert Appearance.objects.get(start_seconds=2500).quote.startswith(
        "Some argue that keeping models closed"
    )
    assert opening.claim.appearances.count() == 1

    status, errors, summary = run_import("--extract-claims", SAMPLES)

    assert (status, errors) == (0, [])
    assert summary == "1 files: 0 created, 0 updated, 1 unchanged, 0 errors"
    assert Claim.objects.count() == drafts


@needs_shared
def test_extract_claims_on_the_whole_corpus():
    status, errors, _ = run_import("--extract-claims", CORPUS)
    assert (status, errors) == (0, [])
    assert Claim.objects.count() == Appearance.objects.count()
    assert not Appearance.objects.filter(note__isnull=True).exists()


def test_changed_file_updates_its_note_without_duplicating(tmp_path):
    path = write(tmp_path, "note.md", good_note())
    run_import(path)
    note = Note.objects.get()

    path.write_text(good_note().replace("[[Some Topic | a topic]]", "[[Other topic]]"))
    status, errors, summary = run_import(path)

    assert (status, errors) == (0, [])
    assert summary == "1 files: 0 created, 1 updated, 0 unchanged, 0 errors"
    assert Note.objects.get().pk == note.pk
    assert list(note.links.values_list("target_slug", flat=True)) == [
        "cleoabram",
        "other_topic",
    ]
    assert note.history.count() == 2


def test_dry_run_reports_but_saves_nothing(tmp_path):
    write(tmp_path, "a.md", good_note("First"))
    write(tmp_path, "b.md", good_note("Second", video_id="abcdefghijk"))

    status, errors, summary = run_import("--dry-run", "--extract-claims", tmp_path)

    assert (status, errors) == (0, [])
    assert summary == (
        "2 files: 2 created, 0 updated, 0 unchanged, 0 errors "
        "(2 draft claims extracted; dry run, nothing saved)"
    )
    assert not Note.objects.exists()
    assert not Video.objects.exists()
    assert not Claim.objects.exists()


def test_folders_are_searched_recursively_skipping_hidden_and_non_markdown(tmp_path):
    write(tmp_path, "top.md", good_note("Top"))
    write(tmp_path, "deep/deeper/nested.md", good_note("Nested", video_id="abcdefghijk"))
    write(tmp_path, ".trash/deleted.md", good_note("Deleted"))
    write(tmp_path, "image.png", b"\x89PNG\r\n\x1a\n\x00\x00")
    write(tmp_path, "readme.txt", "not a note")

    status, errors, summary = run_import(tmp_path)

    assert (status, errors) == (0, [])
    assert summary.startswith("2 files: 2 created")
    assert set(Note.objects.values_list("slug", flat=True)) == {"top", "nested"}


BAD_FILES = {
    "no_front_matter.md": ("Just some text [00:01:00].\n", 1, "front matter"),
    # YAML notices the unclosed bracket where the next key starts, on line 3.
    "broken_yaml.md": ("---\ntitle: [unclosed\nvideoId: oX7OduG1YmI\n---\nBody\n", 3, "YAML"),
    "bad_video_id.md": ("---\ntitle: Bad id\nvideoId: not-an-id\n---\nBody\n", 3, "not-an-id"),
    "missing_video_id.md": ("---\ntitle: No id\n---\nBody\n", 1, "videoId"),
    "empty.md": ("", 1, "empty"),
    "binary.md": (b"\x00\x01\x02binary\x00data", 1, "binary"),
    "latin1.md": (
        "---\ntitle: Caf\xe9\nvideoId: oX7OduG1YmI\n---\n".encode("latin-1"),
        2,
        "UTF-8",
    ),
}


def test_bad_files_are_reported_with_path_and_line_and_good_ones_import(tmp_path):
    for name, (content, _, _) in BAD_FILES.items():
        write(tmp_path, name, content)
    write(tmp_path, "good.md", good_note("Good"))
    write(
        tmp_path,
        "bad_timestamp.md",
        good_note("Bad timestamp", video_id="abcdefghijk").replace("[00:42:05]", "[00:99:99]"),
    )

    status, errors, summary = run_import("--extract-claims", tmp_path)

    assert status == 1
    for name, (_, line, words) in BAD_FILES.items():
        matching = [e for e in errors if e.startswith(f"{tmp_path / name}:{line}: ")]
        assert len(matching) == 1, (name, errors)
        assert words.lower() in matching[0].lower()
    [timestamp_error] = [e for e in errors if "bad_timestamp.md" in e]
    assert timestamp_error.startswith(f"{tmp_path / 'bad_timestamp.md'}:8: ")
    assert "[00:99:99]" in timestamp_error
    assert len(errors) == len(BAD_FILES) + 1
    assert summary == (
        f"9 files: 2 created, 0 updated, 0 unchanged, {len(BAD_FILES) + 1} errors "
        f"({len(BAD_FILES)} not imported; 1 draft claims extracted)"
    )
    assert set(Note.objects.values_list("slug", flat=True)) == {"good", "bad_timestamp"}
    # The impossible timestamp is skipped; the note and its valid content still import.
    assert not Appearance.objects.filter(note__slug="bad_timestamp").exists()


def test_two_files_with_one_slug_reject_the_second(tmp_path):
    first = write(tmp_path, "a/first.md", good_note("Same Title"))
    second = write(tmp_path, "b/second.md", good_note("same title!", video_id="abcdefghijk"))

    status, errors, summary = run_import(tmp_path)

    assert status == 1
    assert errors == [
        f"{second}:2: title gives slug 'same_title', already taken by {first} in this run; "
        "rename one of the two notes"
    ]
    assert summary.startswith("2 files: 1 created, 0 updated, 0 unchanged, 1 errors")
    assert Note.objects.get().source_path == str(first)


def test_missing_path_and_non_markdown_file_argument_are_reported(tmp_path):
    text_file = write(tmp_path, "notes.txt", "hello")

    status, errors, summary = run_import(tmp_path / "nowhere", text_file)

    assert status == 1
    assert errors == [
        f"{tmp_path / 'nowhere'}:1: no such file or folder",
        f"{text_file}:1: not a markdown note (expected a .md file)",
    ]
    assert summary == "0 files: 0 created, 0 updated, 0 unchanged, 2 errors"


def test_a_file_that_fails_validation_leaves_nothing_half_written(tmp_path):
    path = write(tmp_path, "long.md", good_note("x" * 400, video_id="zzzzzzzzzzz"))

    status, errors, _ = run_import(path)

    assert status == 1
    assert len(errors) == 1
    assert errors[0].startswith(f"{path}:1: ")
    assert "title" in errors[0]
    assert not Note.objects.exists()
    assert not Video.objects.filter(youtube_id="zzzzzzzzzzz").exists()
    assert not Channel.objects.exists()
