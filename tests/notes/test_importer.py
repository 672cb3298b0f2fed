"""`manage.py import_notes` on the real corpus and on every kind of bad input."""

import io
import os
import re
import socket
import threading
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import DatabaseError, DataError, connection, transaction
from django.db.models import Count
from django.test.utils import CaptureQueriesContext

from claims import services as claims_services
from claims.models import Appearance, Claim, Status
from notes import importer, revisions
from notes.importer import SlugsTaken
from notes.models import Channel, ContentRevision, Note, Topic, Video, WikiLink

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
    assert summary == "1 file: 0 created, 0 updated, 1 unchanged, 0 errors"
    assert Claim.objects.count() == drafts


@needs_shared
def test_extract_claims_on_the_whole_corpus():
    status, errors, _ = run_import("--extract-claims", CORPUS)
    assert (status, errors) == (0, [])
    assert Claim.objects.count() == Appearance.objects.count()
    assert not Appearance.objects.filter(note__isnull=True).exists()


def test_extracted_topics_are_named_as_the_note_wrote_their_links(tmp_path, client):
    body = good_note().replace(
        "See [[Some Topic | a topic]].",
        "[[MMDetection open source toolkit | MMDetection]] finds objects well [00:01:00]. "
        "Formulas compute fields from other fields [00:02:00], see [[using_formulas_in_Notion|"
        "formula]]. Lenses are tiny [00:03:00], see [[selfsupervised_learning]].",
    )
    path = write(tmp_path, "note.md", body)

    status, errors, _ = run_import("--extract-claims", path)

    assert (status, errors) == (0, [])
    names = dict(Topic.objects.values_list("slug", "name"))
    assert names == {
        "mmdetection_open_source_toolkit": "MMDetection open source toolkit",
        "using_formulas_in_notion": "Using formulas in Notion",
        "selfsupervised_learning": "Selfsupervised learning",
    }
    claim = Topic.objects.get(slug="mmdetection_open_source_toolkit").claims.get()
    claims_services.claim_publish(claim=claim, actor=None)
    page = client.get("/topics/mmdetection_open_source_toolkit/").content.decode()
    assert "<h1>MMDetection open source toolkit</h1>" in page
    assert (
        client.get(f"/claims/{claim.pk}/")
        .content.decode()
        .count(
            '<a href="/topics/mmdetection_open_source_toolkit/">MMDetection open source toolkit</a>'
        )
        == 1
    )


def test_changed_file_updates_its_note_without_duplicating(tmp_path):
    path = write(tmp_path, "note.md", good_note())
    run_import(path)
    note = Note.objects.get()

    path.write_text(good_note().replace("[[Some Topic | a topic]]", "[[Other topic]]"))
    status, errors, summary = run_import(path)

    assert (status, errors) == (0, [])
    assert summary == "1 file: 0 created, 1 updated, 0 unchanged, 0 errors"
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
        f"({len(BAD_FILES)} not imported; 1 draft claim extracted)"
    )
    assert set(Note.objects.values_list("slug", flat=True)) == {"good", "bad_timestamp"}
    # The impossible timestamp is skipped; the note and its valid content still import.
    assert not Appearance.objects.filter(note__slug="bad_timestamp").exists()


EVERY_FORM_NOTE = """---
title: Every form
videoId: oX7OduG1YmI
---

From: [[cleoabram]] <br/>

Open models are safer [00:42:05]. Closed ones keep attackers out [01:15:23, 01:15:26].
More eyes find bugs sooner [00:01:12](#). Bugs get fixed in days ([00:02:10](#)).
Short videos use minutes [05:03]. Long ones use one digit of hours [1:05:03].
"""


def test_every_timestamp_form_of_real_vaults_becomes_a_draft_at_its_second(tmp_path):
    path = write(tmp_path, "every_form.md", EVERY_FORM_NOTE)

    status, errors, summary = run_import("--extract-claims", path)

    assert (status, errors) == (0, [])
    assert summary.endswith("(6 draft claims extracted)")
    assert sorted(Appearance.objects.values_list("start_seconds", "quote")) == [
        (72, "More eyes find bugs sooner."),
        (130, "Bugs get fixed in days."),
        (303, "Short videos use minutes."),
        (2525, "Open models are safer."),
        (3903, "Long ones use one digit of hours."),
        (4523, "Closed ones keep attackers out."),
    ]


def test_a_timestamp_past_the_end_of_a_known_video_is_reported_and_skipped(tmp_path):
    Video.objects.create(youtube_id="oX7OduG1YmI", title="The interview", duration_seconds=4524)
    path = write(tmp_path, "every_form.md", EVERY_FORM_NOTE)

    status, errors, summary = run_import("--extract-claims", path)

    assert status == 1
    assert errors == [
        f"{path}:8: timestamp [01:15:26] is past the end of the video, which lasts 01:15:24; "
        "left out"
    ]
    assert summary == (
        "1 file: 1 created, 0 updated, 0 unchanged, 1 error (6 draft claims extracted)"
    )
    assert Appearance.objects.filter(start_seconds=4523).count() == 1

    Video.objects.update(duration_seconds=4000)
    path.write_text(EVERY_FORM_NOTE.replace("safer", "much safer"))
    status, errors, summary = run_import("--extract-claims", path)

    # Both timestamps of the list are too late now: its sentence has no time left to be a draft.
    assert [error.split(": ", 1)[1] for error in errors] == [
        "timestamp [01:15:23] is past the end of the video, which lasts 01:06:40; left out",
        "timestamp [01:15:26] is past the end of the video, which lasts 01:06:40; left out",
    ]
    assert summary == (
        "1 file: 0 created, 1 updated, 0 unchanged, 2 errors (1 draft claim extracted)"
    )
    assert Appearance.objects.filter(quote="Open models are much safer.").count() == 1


@pytest.mark.parametrize("batch_size", [50, 1], ids=["one batch", "two batches"])
def test_two_files_with_one_slug_reject_the_second(tmp_path, settings, batch_size):
    settings.IMPORT_BATCH_SIZE = batch_size
    first = write(tmp_path, "a/first.md", good_note("Same Title"))
    second = write(tmp_path, "b/second.md", good_note("same title!", video_id="abcdefghijk"))

    status, errors, summary = run_import(tmp_path)

    assert status == 1
    assert errors == [
        f"{second}:2: title gives slug 'same_title', already taken by {first} in this run; "
        "rename one of the two notes"
    ]
    assert summary.startswith("2 files: 1 created, 0 updated, 0 unchanged, 1 error")
    assert Note.objects.get().source_path == str(first)


def test_missing_path_and_non_markdown_file_argument_are_reported(tmp_path):
    text_file = write(tmp_path, "notes.txt", "hello")

    status, errors, summary = run_import(tmp_path / "nowhere", text_file)

    assert status == 1
    assert errors == [
        f"{tmp_path / 'nowhere'}:1: no such file or folder",
        f"{text_file}:1: not a markdown note (expected a .md file)",
    ]
    # The text file is a file given, not imported; the missing path is no file at all.
    assert summary == "1 file: 0 created, 0 updated, 0 unchanged, 2 errors (1 not imported)"


def test_a_file_that_fails_validation_leaves_nothing_half_written(tmp_path, monkeypatch):
    path = write(tmp_path, "note.md", good_note(video_id="zzzzzzzzzzz"))

    def refuse(note, *args, **kwargs):
        raise ValidationError({"title": ["Refused for the test."]})

    # After the channel and the video are written: the savepoint must take them back too.
    monkeypatch.setattr(Note, "full_clean", refuse)
    status, errors, _ = run_import(path)

    assert status == 1
    assert errors == [f"{path}:1: title: Refused for the test."]
    assert not Note.objects.exists()
    assert not Video.objects.filter(youtube_id="zzzzzzzzzzz").exists()
    assert not Channel.objects.exists()


# One bad file never costs the others (issue 6, point 1) ---------------------------------------


def test_hostile_files_are_reported_and_the_good_notes_of_the_run_import(tmp_path):
    write(tmp_path, "a_good.md", good_note("Good"))
    long_link = write(
        tmp_path,
        "b_long_link.md",
        good_note("Long link", video_id="abcdefghij1").replace(
            "[[Some Topic | a topic]]", "[[" + " ".join(["word"] * 250) + "]]"
        ),
    )
    nul = write(tmp_path, "c_nul.md", '---\ntitle: "Nul\\0"\nvideoId: oX7OduG1YmI\n---\nBody.\n')
    surrogate = write(
        tmp_path, "d_surrogate.md", '---\ntitle: "\\uD800"\nvideoId: oX7OduG1YmI\n---\nBody.\n'
    )
    deep = write(
        tmp_path,
        "e_deep.md",
        "---\ntitle: Deep\nvideoId: oX7OduG1YmI\nx: " + "[" * 10_000 + "]" * 10_000 + "\n---\n",
    )
    late = write(
        tmp_path,
        "f_late.md",
        good_note("Late", video_id="abcdefghij2").replace(
            "[00:42:05].", "[00:42:05]. Much later [600000:00:00]."
        ),
    )
    write(tmp_path, "g_good.md", good_note("Also good", video_id="abcdefghij3"))

    status, errors, summary = run_import("--extract-claims", tmp_path)

    assert status == 1
    assert errors == [
        f"{long_link}:8: wikilink target '{' '.join(['word'] * 12)}…' is longer than 200 "
        "characters, the most a link target may have; link left out",
        f"{nul}:2: front matter holds the character U+0000, which cannot be stored",
        f"{surrogate}:2: front matter holds the character U+D800, which cannot be stored",
        f"{deep}:4: front matter is nested more than 20 levels deep "
        "(IMPORT_MAX_FRONT_MATTER_DEPTH)",
        f"{late}:8: impossible timestamp [600000:00:00]: later than 596523:14:07, the latest "
        "time a note may name",
    ]
    assert summary == (
        "7 files: 4 created, 0 updated, 0 unchanged, 5 errors "
        "(3 not imported; 4 draft claims extracted)"
    )
    assert set(Note.objects.values_list("slug", flat=True)) == {
        "good",
        "long_link",
        "late",
        "also_good",
    }
    assert list(WikiLink.objects.filter(note__slug="long_link").values_list("target_slug")) == [
        ("cleoabram",)
    ]
    assert sorted(Appearance.objects.values_list("note__slug", "start_seconds")) == [
        ("also_good", 2525),
        ("good", 2525),
        ("late", 2525),
        ("long_link", 2525),
    ]


def test_a_database_error_costs_only_its_own_file(tmp_path, monkeypatch):
    from notes import importer

    first = write(tmp_path, "a.md", good_note("First"))
    write(tmp_path, "b.md", good_note("Second", video_id="abcdefghijk"))
    real_note_import = importer.note_import
    real_note_import_batch = importer.note_import_batch
    batches = []

    def half_write_and_refuse():
        Note.objects.create(
            slug="first",
            title="First",
            video=Video.objects.create(youtube_id="zzzzzzzzzzz", title="Half written"),
        )
        raise DataError("value too long for type character varying(300)\nDETAIL: more")

    # The database refuses the batch, as it holds the first note; then the first note alone.
    def refuse_a_batch_with_the_first(*, files, **kwargs):
        batches.append([file.parsed.slug for file in files])
        if any(file.parsed.slug == "first" for file in files):
            half_write_and_refuse()
        return real_note_import_batch(files=files, **kwargs)

    def refuse_the_first(*, parsed, **kwargs):
        if parsed.slug == "first":
            half_write_and_refuse()
        return real_note_import(parsed=parsed, **kwargs)

    monkeypatch.setattr(importer, "note_import_batch", refuse_a_batch_with_the_first)
    monkeypatch.setattr(importer, "note_import", refuse_the_first)
    status, errors, summary = run_import(tmp_path)

    assert batches == [["first", "second"]]

    assert status == 1
    assert errors == [
        f"{first}:1: could not be saved: value too long for type character varying(300)"
    ]
    assert summary == "2 files: 1 created, 0 updated, 0 unchanged, 1 error (1 not imported)"
    assert list(Note.objects.values_list("slug", flat=True)) == ["second"]
    assert not Video.objects.filter(youtube_id="zzzzzzzzzzz").exists()


# Limits (point 3) ----------------------------------------------------------------------------


def test_a_file_over_the_size_limit_is_refused_unread_and_the_limit_is_a_setting(
    tmp_path, settings
):
    settings.IMPORT_MAX_FILE_BYTES = 200
    big = write(tmp_path, "big.md", good_note("Big") + "More words. " * 20)
    write(tmp_path, "small.md", good_note("Small", video_id="abcdefghijk"))

    status, errors, summary = run_import(tmp_path)

    assert status == 1
    assert errors == [
        f"{big}:1: file is larger than 200 bytes, the most a note may have (IMPORT_MAX_FILE_BYTES)"
    ]
    assert summary == "2 files: 1 created, 0 updated, 0 unchanged, 1 error (1 not imported)"


def test_every_limit_setting_reaches_the_parser(settings):
    from notes.importer import import_limits
    from notes.parsing import Limits

    assert import_limits() == Limits()  # the settings' defaults are the parser's
    settings.IMPORT_MAX_LINE_CHARS = 7
    settings.IMPORT_MAX_FRONT_MATTER_CHARS = 8
    settings.IMPORT_MAX_FRONT_MATTER_DEPTH = 9
    settings.IMPORT_MAX_TIMESTAMPS = 10
    settings.IMPORT_MAX_LINKS = 11
    settings.IMPORT_MAX_FILE_BYTES = 12
    assert import_limits() == Limits(
        file_bytes=12,
        line_chars=7,
        front_matter_chars=8,
        front_matter_depth=9,
        timestamps=10,
        links=11,
    )


def test_a_one_megabyte_note_imports(tmp_path):
    from tests.notes.test_parsing import one_megabyte_note

    path = write(tmp_path, "long.md", one_megabyte_note())
    assert path.stat().st_size > 1_000_000

    status, errors, summary = run_import(path)

    assert (status, errors) == (0, [])
    assert summary == "1 file: 1 created, 0 updated, 0 unchanged, 0 errors"
    assert set(WikiLink.objects.values_list("target_slug", flat=True)) == {
        "open_models",
        "closed_models",
    }


# The folder walk (point 4) -------------------------------------------------------------------


@pytest.fixture
def hostile_vault(tmp_path, monkeypatch):
    """A vault with one good note and every kind of file a walk must not trip over."""
    vault = tmp_path / "vault"
    top = write(vault, "top.md", good_note("Top"))
    write(vault, ".hidden/secret.md", good_note("Secret", video_id="abcdefghij1"))
    outside = write(tmp_path, "elsewhere/outside.md", good_note("Outside", video_id="abcdefghij2"))
    (vault / "loop_a").symlink_to(".")
    (vault / "loop_b").symlink_to(".")
    (vault / "deep").mkdir()
    (vault / "deep" / "up").symlink_to("..")
    (vault / "alias.md").symlink_to("top.md")
    (vault / "self.md").symlink_to("self.md")
    (vault / "gone.md").symlink_to("nowhere.md")
    (vault / "passwd.md").symlink_to("/etc/passwd")
    (vault / "outside.md").symlink_to(outside)
    (vault / "outside_folder").symlink_to(outside.parent)
    os.mkfifo(vault / "pipe.md")
    listening = socket.socket(socket.AF_UNIX)
    # Bound by a relative name: a socket's path may not be longer than 107 bytes.
    monkeypatch.chdir(vault)
    listening.bind("sock.md")
    yield vault, top
    listening.close()


def test_the_walk_reports_links_pipes_and_sockets_and_never_follows_them(hostile_vault):
    vault, top = hostile_vault

    status, errors, summary = run_import(vault)

    assert status == 1
    assert sorted(errors) == sorted(
        [
            f"{vault}/deep/up:1: symbolic link loop: it leads back to a folder it is in; skipped",
            f"{vault}/gone.md:1: broken symbolic link: its target does not exist",
            f"{vault}/loop_a:1: symbolic link loop: it leads back to a folder it is in; skipped",
            f"{vault}/loop_b:1: symbolic link loop: it leads back to a folder it is in; skipped",
            f"{vault}/outside.md:1: symbolic link to outside the folders given; not followed",
            f"{vault}/outside_folder:1: symbolic link to outside the folders given; not followed",
            f"{vault}/passwd.md:1: symbolic link to outside the folders given; not followed",
            f"{vault}/pipe.md:1: not a regular file (a named pipe); skipped",
            f"{vault}/self.md:1: symbolic link loop; skipped",
            f"{vault}/sock.md:1: not a regular file (a socket); skipped",
        ]
    )
    # The six named as notes count as files not imported; the three folder links do not.
    assert summary == "7 files: 1 created, 0 updated, 0 unchanged, 10 errors (6 not imported)"
    assert Note.objects.get().source_path == str(top)


@pytest.fixture
def vault_with_refused(tmp_path):
    """A vault with one good note, a pipe in a subfolder, and links no walk follows."""
    vault = tmp_path / "vault"
    write(vault, "top.md", good_note("Top"))
    (vault / "sub").mkdir()
    os.mkfifo(vault / "sub" / "pipe.md")
    outside = write(tmp_path, "elsewhere/outside.md", good_note("Outside", video_id="abcdefghij2"))
    (vault / "outside.md").symlink_to(outside)
    (vault / "gone.md").symlink_to("nowhere.md")
    return vault


REFUSED = ["gone.md", "outside.md", "sub/pipe.md"]


@pytest.mark.parametrize(
    ("paths", "created", "refused"),
    [
        (["", "sub/pipe.md"], 1, REFUSED),
        (["sub/pipe.md", ""], 1, REFUSED),
        (["", "sub"], 1, REFUSED),
        (["sub", "", "sub/pipe.md"], 1, REFUSED),
        (["sub/pipe.md", "sub/pipe.md", ""], 1, REFUSED),
        # A link named on its own is followed, whichever path comes first.
        (["", "outside.md"], 2, ["gone.md", "sub/pipe.md"]),
        (["outside.md", ""], 2, ["gone.md", "sub/pipe.md"]),
    ],
    ids=[
        "file after folder",
        "file before folder",
        "subfolder",
        "all three",
        "twice",
        "link after folder",
        "link before folder",
    ],
)
def test_a_file_reached_by_two_paths_is_counted_once(vault_with_refused, paths, created, refused):
    vault = vault_with_refused

    status, errors, summary = run_import(*(vault / path if path else vault for path in paths))

    assert status == 1
    # Each reported once, in the words of the path that reached it first.
    assert sorted(error.split(":1: ")[0] for error in errors) == [
        f"{vault}/{path}" for path in refused
    ]
    assert summary == (
        f"{created + len(refused)} files: {created} created, 0 updated, 0 unchanged, "
        f"{len(refused)} errors ({len(refused)} not imported)"
    )


def test_a_broken_link_named_on_its_own_is_reported_once_as_missing(vault_with_refused):
    vault = vault_with_refused

    status, errors, summary = run_import(vault, vault / "gone.md")

    assert status == 1
    assert f"{vault}/gone.md:1: no such file or folder" in errors
    assert len([error for error in errors if "gone.md" in error]) == 1
    assert summary == "3 files: 1 created, 0 updated, 0 unchanged, 3 errors (2 not imported)"


def test_a_pipe_named_on_the_command_line_is_reported_not_read(tmp_path):
    pipe = tmp_path / "pipe.md"
    os.mkfifo(pipe)

    status, errors, summary = run_import(pipe)

    assert (status, errors) == (1, [f"{pipe}:1: not a regular file (a named pipe)"])
    assert summary == "1 file: 0 created, 0 updated, 0 unchanged, 1 error (1 not imported)"


def test_files_are_named_by_their_path_in_the_vault_even_through_a_linked_vault(tmp_path):
    real = tmp_path / "real"
    path = write(real, "note.md", good_note())
    (tmp_path / "vault").symlink_to(real)

    status, errors, _ = run_import(tmp_path / "vault")

    assert (status, errors) == (0, [])
    assert Note.objects.get().source_path == str(tmp_path / "vault" / path.name)


def test_a_file_swapped_for_a_pipe_after_the_walk_is_reported_not_read(tmp_path):
    from notes.importer import ImportReport, VaultFile, import_notes

    pipe = tmp_path / "note.md"
    os.mkfifo(pipe)

    report = import_notes([VaultFile(str(pipe), pipe)], report=ImportReport())

    assert report.errors == [f"{pipe}:1: not a regular file (a named pipe)"]


# Batches and reruns (point 6) ----------------------------------------------------------------


def test_a_crash_loses_at_most_one_batch_and_a_rerun_resumes_without_parsing_twice(
    tmp_path, settings, monkeypatch
):
    from notes import importer

    settings.IMPORT_BATCH_SIZE = 2
    for number in range(5):
        write(tmp_path, f"{number}.md", good_note(f"Note {number}", video_id=f"video{number:06d}"))
    parsed_titles = []
    crashes = [KeyboardInterrupt]
    real_parse = importer.parse_note

    def crash_once_on_note_3(text, limits):
        parsed = real_parse(text, limits)
        parsed_titles.append(parsed.title)
        if parsed.title == "Note 3" and crashes:
            raise crashes.pop()
        return parsed

    monkeypatch.setattr(importer, "parse_note", crash_once_on_note_3)
    with pytest.raises(KeyboardInterrupt):
        run_import(tmp_path)

    # The first batch (notes 0 and 1) was committed; the second died with note 3.
    assert sorted(Note.objects.values_list("title", flat=True)) == ["Note 0", "Note 1"]

    parsed_titles.clear()
    status, errors, summary = run_import(tmp_path)

    assert (status, errors) == (0, [])
    assert summary == "5 files: 3 created, 0 updated, 2 unchanged, 0 errors"
    assert parsed_titles == ["Note 2", "Note 3", "Note 4"]
    assert Note.objects.count() == 5


# A long run: each batch parsed in a process while the one before is written ---------------


def _parsed_noting_the_process(data, limits):
    """`importer._parsed`, noting the process it ran in (set in its place by a test: the
    parser process, forked after, finds it there)."""
    with open(os.environ["PARSED_IN"], "a") as pids:
        pids.write(f"{os.getpid()}\n")
    return _PARSED(data, limits)


def _parsed_only_here(data, limits):
    """`importer._parsed` in the test's process; the parser process dies on its first file."""
    if os.getpid() != int(os.environ["IMPORTING_PID"]):
        os._exit(1)
    return _PARSED(data, limits)


_PARSED = importer._parsed


@pytest.fixture
def long_run(monkeypatch, settings, tmp_path):
    """Every run is a long one, parsed in a process of its own, in batches of two files: a
    vault of good notes, a file without front matter and a second file with a slug."""
    monkeypatch.setattr(importer, "PARSER_PROCESS_FROM", 0)
    settings.IMPORT_BATCH_SIZE = 2
    vault = tmp_path / "vault"
    good = [
        write(vault, f"{number}.md", good_note(f"Note {number}", video_id=f"video{number:06d}"))
        for number in range(4)
    ]
    broken = write(vault, "4_broken.md", "Just some text [00:01:00].\n")
    twin = write(vault, "5_twin.md", good_note("Note 0!", video_id="abcdefghijk"))
    return vault, good, broken, twin


def test_a_long_run_is_parsed_in_a_process_and_reported_as_any_run(long_run, monkeypatch, tmp_path):
    vault, good, broken, twin = long_run
    parsed_in = tmp_path / "pids"
    monkeypatch.setenv("PARSED_IN", str(parsed_in))
    monkeypatch.setattr(importer, "_parsed", _parsed_noting_the_process)

    status, errors, summary = run_import(vault)
    again = run_import(vault)

    assert status == 1
    assert [error.split(": ", 1)[0] for error in errors] == [f"{broken}:1", f"{twin}:2"]
    assert "front matter" in errors[0]
    assert errors[1].endswith(
        f"already taken by {good[0]} in this run; rename one of the two notes"
    )
    assert summary == "6 files: 4 created, 0 updated, 0 unchanged, 2 errors (2 not imported)"
    assert sorted(Note.objects.values_list("source_path", flat=True)) == list(map(str, good))
    # Parsed in another process, each file once; unchanged files are not parsed again.
    pids = parsed_in.read_text().split()
    assert len(pids) == 6 + 2
    assert str(os.getpid()) not in pids
    assert again[2] == "6 files: 0 created, 0 updated, 4 unchanged, 2 errors (2 not imported)"


def test_a_parser_process_that_dies_leaves_the_parsing_to_the_importer(long_run, monkeypatch):
    vault, good, broken, twin = long_run
    monkeypatch.setenv("IMPORTING_PID", str(os.getpid()))
    monkeypatch.setattr(importer, "_parsed", _parsed_only_here)

    status, errors, summary = run_import(vault)

    assert status == 1
    assert [error.split(": ", 1)[0] for error in errors] == [f"{broken}:1", f"{twin}:2"]
    assert summary == "6 files: 4 created, 0 updated, 0 unchanged, 2 errors (2 not imported)"
    assert sorted(Note.objects.values_list("source_path", flat=True)) == list(map(str, good))


def test_a_rerun_reparses_unchanged_files_when_extracting_claims(tmp_path, monkeypatch):
    from notes import importer

    path = write(tmp_path, "note.md", good_note())
    run_import(path)
    calls = []
    real_parse = importer.parse_note
    monkeypatch.setattr(importer, "parse_note", lambda *args: calls.append(1) or real_parse(*args))

    status, errors, summary = run_import("--extract-claims", path)

    assert (status, errors) == (0, [])
    assert summary == (
        "1 file: 0 created, 0 updated, 1 unchanged, 0 errors (1 draft claim extracted)"
    )
    assert calls == [1]


@pytest.mark.parametrize("batch_size", [50, 1], ids=["one batch", "two batches"])
def test_an_unchanged_file_after_another_took_its_slug_is_still_a_duplicate(
    tmp_path, settings, batch_size
):
    # With two batches, the second is read while the first is written.
    settings.IMPORT_BATCH_SIZE = batch_size
    second = write(tmp_path, "b.md", good_note("Same title"))
    run_import(second)
    first = write(tmp_path, "a.md", good_note("Same title", video_id="abcdefghijk"))

    status, errors, summary = run_import(tmp_path)

    assert status == 1
    assert errors == [
        f"{second}:2: title gives slug 'same_title', already taken by {first} in this run; "
        "rename one of the two notes"
    ]
    assert summary == "2 files: 0 created, 1 updated, 0 unchanged, 1 error (1 not imported)"


def test_a_dry_run_over_several_batches_saves_nothing(tmp_path, settings):
    settings.IMPORT_BATCH_SIZE = 1
    revision = revisions.current()
    write(tmp_path, "a.md", good_note("First"))
    write(tmp_path, "b.md", good_note("Second", video_id="abcdefghijk"))

    status, errors, summary = run_import("--dry-run", "--extract-claims", tmp_path)

    assert (status, errors) == (0, [])
    assert summary == (
        "2 files: 2 created, 0 updated, 0 unchanged, 0 errors "
        "(2 draft claims extracted; dry run, nothing saved)"
    )
    assert not Note.objects.exists()
    assert not Claim.objects.exists()
    revisions.forget()
    assert revisions.current() == revision


# Queries: constant per batch, one for a run of unchanged files (issue 10, item 4) ----------


def queries_to_import(folder: Path, numbers: range, *args: str) -> list[str]:
    """The SQL that importing new notes `numbers` (each with its video and channel) sends."""
    for number in numbers:
        write(folder, f"{number:02d}.md", VAULT_NOTE.format(number=number, channel=number))
    with CaptureQueriesContext(connection) as captured:
        status, errors, summary = run_import(*args, folder)
    assert (status, errors) == (0, [])
    assert summary.startswith(f"{len(numbers)} files: {len(numbers)} created")
    return [query["sql"] for query in captured.captured_queries]


@pytest.mark.parametrize("args", [(), ("--extract-claims",)], ids=["plain", "extracting"])
def test_a_batch_sends_as_many_queries_for_six_notes_as_for_two(tmp_path, settings, args):
    settings.IMPORT_BATCH_SIZE = 50
    revisions.bump()  # made before, as on any site: its first bump inserts the row

    two = queries_to_import(tmp_path / "two", range(0, 2), *args)
    six = queries_to_import(tmp_path / "six", range(10, 16), *args)

    assert len(six) == len(two)
    assert Note.objects.count() == 8
    assert WikiLink.objects.count() == 8 * 3
    assert Note.history.count() == Video.history.count() == Channel.history.count() == 8
    if args:
        assert Claim.objects.count() == Appearance.objects.count() == 8 * 3
        assert Claim.history.count() == Appearance.history.count() == 8 * 3


def test_batches_send_the_same_queries_each(tmp_path, settings):
    settings.IMPORT_BATCH_SIZE = 3
    revisions.bump()

    one_batch = queries_to_import(tmp_path / "one", range(0, 3))
    two_batches = queries_to_import(tmp_path / "two", range(10, 16))

    # The same queries for each batch, its lookup of unchanged files included.
    assert len(two_batches) == 2 * len(one_batch)


def test_a_rerun_of_unchanged_files_sends_one_query_per_batch(tmp_path, settings):
    settings.IMPORT_BATCH_SIZE = 2
    for number in range(5):
        write(tmp_path, f"{number}.md", VAULT_NOTE.format(number=number, channel=number))
    run_import(tmp_path)

    with CaptureQueriesContext(connection) as captured:
        status, errors, summary = run_import(tmp_path)

    assert (status, errors) == (0, [])
    assert summary == "5 files: 0 created, 0 updated, 5 unchanged, 0 errors"
    statements = [query["sql"] for query in captured.captured_queries]
    queries = [sql for sql in statements if "SAVEPOINT" not in sql]
    # Each batch looks up its own files only: the run holds no list of every stored note.
    assert len(queries) == 3
    assert all('SELECT "notes_note"."source_path" AS "source_path"' in sql for sql in queries)


def test_the_slugs_taken_in_a_run_are_remembered_past_a_merge_of_their_hashes():
    taken = SlugsTaken()
    slugs = [f"note_{number}" for number in range(SlugsTaken._MERGE_AT + 10)]
    for slug in slugs:
        taken.add(slug)

    assert all(slug in taken for slug in slugs)
    assert "note_-1" not in taken
    assert f"note_{len(slugs)}" not in taken


def test_a_changed_file_among_unchanged_ones_is_the_only_one_written(tmp_path):
    paths = [
        write(tmp_path, f"{number}.md", VAULT_NOTE.format(number=number, channel=number))
        for number in range(3)
    ]
    run_import(tmp_path)
    changed = paths[1].read_text().replace("Some people disagree", "Many people disagree")
    paths[1].write_text(changed)

    status, errors, summary = run_import(tmp_path)

    assert (status, errors) == (0, [])
    assert summary == "3 files: 0 created, 1 updated, 2 unchanged, 0 errors"
    assert [note.history.count() for note in Note.objects.order_by("title")] == [1, 2, 1]
    assert "Many people disagree" in Note.objects.get(title="Note 1").body_markdown
    assert WikiLink.objects.filter(note__title="Note 1").count() == 3


# Concurrency and the revision's lock (PostgreSQL) ------------------------------------------

postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="PostgreSQL only: row locks and concurrent writers; SQLite lets one writer at a time",
)


def revision_is_locked() -> bool:
    """Whether another connection holds the content revision's row lock right now."""
    locked = []

    def probe() -> None:
        try:
            with transaction.atomic():
                ContentRevision.objects.select_for_update(nowait=True).get(pk=1)
            locked.append(False)
        except DatabaseError:
            locked.append(True)
        finally:
            connection.close()

    thread = threading.Thread(target=probe)
    thread.start()
    thread.join()
    return locked[0]


@postgres_only
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_revision_is_locked_only_as_each_batch_ends(tmp_path, settings):
    from notes.importer import import_vault

    settings.IMPORT_BATCH_SIZE = 2
    for number in range(3):
        write(tmp_path, f"{number}.md", good_note(f"Note {number}", video_id=f"video{number:06d}"))
    revisions.bump()
    before = ContentRevision.objects.get().number
    locked_while_writing = []

    def extract(note, parsed) -> int:
        locked_while_writing.append(revision_is_locked())
        return 0

    report = import_vault([tmp_path], extract=extract)

    assert report.summary() == "3 files: 3 created, 0 updated, 0 unchanged, 0 errors"
    assert locked_while_writing == [False, False, False]
    # Two batches, each bumping as it ends and again once its search vectors are refreshed.
    assert ContentRevision.objects.get().number == before + 4


VAULT_NOTE = """---
title: Note {number}
videoId: video{number:06d}
---

From: [[Channel {channel}]]

Open models get safer [00:00:{number:02d}]. See [[Shared Topic]] and [[Topic {number}]].
Closed models keep attackers out [00:01:{number:02d}]! Some people disagree [00:02:{number:02d}].
"""


@postgres_only
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.parametrize(
    "imported_before", [False, True], ids=["new vault", "notes imported, no drafts yet"]
)
def test_two_imports_of_one_vault_at_once_finish_without_duplicates(
    tmp_path, settings, imported_before
):
    settings.IMPORT_BATCH_SIZE = 4
    for number in range(24):
        write(tmp_path, f"{number:02d}.md", VAULT_NOTE.format(number=number, channel=number % 3))
    if imported_before:
        run_import(tmp_path)
    start = threading.Barrier(2)
    outcomes: list[tuple[int, list[str], str] | BaseException] = []

    def import_the_vault() -> None:
        try:
            start.wait()
            outcomes.append(run_import("--extract-claims", tmp_path))
        except BaseException as error:
            outcomes.append(error)
        finally:
            connection.close()

    imports = [threading.Thread(target=import_the_vault) for _ in range(2)]
    for thread in imports:
        thread.start()
    for thread in imports:
        thread.join()

    assert [outcome[:2] for outcome in outcomes] == [(0, []), (0, [])]

    def total(count: str) -> int:
        found = [re.search(rf"(\d+) {count}", summary) for _, _, summary in outcomes]
        return sum(int(match[1]) for match in found if match)

    # Each note was written by one import and found unchanged by the other, or by both.
    assert (total("created"), total("unchanged"), total("draft")) == (
        (0, 48, 72) if imported_before else (24, 24, 72)
    )
    assert Note.objects.count() == 24
    assert Channel.objects.count() == 3
    assert WikiLink.objects.count() == 24 * 3
    assert Claim.objects.count() == Appearance.objects.count() == 72
    assert not (
        Appearance.objects.values("note", "start_seconds", "quote")
        .annotate(copies=Count("id"))
        .filter(copies__gt=1)
        .exists()
    )
