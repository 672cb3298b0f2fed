"""The editors' admin: every page answers editors and refuses everyone else."""

import pytest
from django.contrib import admin
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse

from claims.models import Argument, Claim, Stance, Status
from notes.models import Note
from tests.factories import (
    AppearanceFactory,
    ArgumentFactory,
    ChannelFactory,
    ClaimFactory,
    GroundedClaimFactory,
    NoteFactory,
    PublishedClaimFactory,
    SpeakerFactory,
    TopicFactory,
    UserFactory,
    VideoFactory,
    WikiLinkFactory,
)

pytestmark = pytest.mark.django_db

CURATED_MODELS = [
    model for model in admin.site._registry if model._meta.app_label in ("notes", "claims")
]


def one_of_each():
    """An object of every curated model, so that every change page has something to show."""
    video = VideoFactory(youtube_id="oX7OduG1YmI")
    claim = PublishedClaimFactory()
    note = NoteFactory(video=video, body_markdown="Said [00:42:05]. See [[ai_safety|safety]].")
    return {
        "channel": video.channel,
        "video": video,
        "topic": TopicFactory(),
        "note": note,
        "wikilink": WikiLinkFactory(note=note, target_slug="ai_safety"),
        "speaker": SpeakerFactory(),
        "claim": claim,
        "appearance": AppearanceFactory(claim=claim, video=video),
        "argument": ArgumentFactory(claim=claim, video=video),
    }


def admin_urls(objects):
    for model in CURATED_MODELS:
        opts = model._meta
        name = f"admin:{opts.app_label}_{opts.model_name}"
        yield reverse(f"{name}_changelist")
        yield reverse(f"{name}_change", args=[objects[opts.model_name].pk])
        yield reverse(f"{name}_history", args=[objects[opts.model_name].pk])
        if model_admin_can_add(model):
            yield reverse(f"{name}_add")


def model_admin_can_add(model) -> bool:
    return model._meta.model_name != "wikilink"


def test_every_curated_model_is_registered():
    names = {model._meta.model_name for model in CURATED_MODELS}
    assert names == {
        "channel",
        "video",
        "topic",
        "note",
        "wikilink",
        "speaker",
        "claim",
        "appearance",
        "argument",
    }


def test_editor_can_open_every_changelist_add_change_and_history_page(editor_client):
    for url in admin_urls(one_of_each()):
        response = editor_client.get(url)
        assert response.status_code == 200, url


def test_anonymous_and_non_staff_users_are_sent_to_log_in(client, contributor):
    urls = list(admin_urls(one_of_each()))
    for url in urls:
        assert client.get(url).status_code == 302, url
    client.force_login(contributor)
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("admin:login"))


def test_staff_outside_the_editors_group_is_refused(client):
    client.force_login(UserFactory(is_staff=True))
    objects = one_of_each()
    for url in admin_urls(objects):
        assert client.get(url).status_code in (403, 302), url
    assert client.get(reverse("admin:claims_claim_changelist")).status_code == 403


def test_editors_cannot_manage_users_or_delete(editor_client):
    claim = PublishedClaimFactory()
    assert editor_client.get(reverse("admin:auth_user_changelist")).status_code == 403
    assert editor_client.get(reverse("admin:auth_group_changelist")).status_code == 403
    assert (
        editor_client.get(reverse("admin:claims_claim_delete", args=[claim.pk])).status_code == 403
    )


def test_superuser_manages_users(client, superuser):
    client.force_login(superuser)
    assert client.get(reverse("admin:auth_user_changelist")).status_code == 200


def test_claim_page_shows_arguments_for_and_against_with_timestamp_links(editor_client):
    video = VideoFactory(youtube_id="oX7OduG1YmI")
    claim = PublishedClaimFactory(text="Open-sourcing AI models makes them safer.")
    AppearanceFactory(claim=claim, video=video, start_seconds=2525, end_seconds=2603)
    ArgumentFactory(
        claim=claim, video=video, stance=Stance.FOR, text="More eyes.", start_seconds=2534
    )
    ArgumentFactory(
        claim=claim, video=video, stance=Stance.AGAINST, text="Bad actors.", start_seconds=2500
    )

    page = editor_client.get(reverse("admin:claims_claim_change", args=[claim.pk])).content.decode()

    assert "Arguments for" in page and "Arguments against" in page
    assert (
        '<a class="timestamp" href="https://www.youtube.com/watch?v=oX7OduG1YmI&amp;t=2525s"'
        in page
    )
    assert ">00:42:05–00:43:23</a>" in page
    assert "https://www.youtube.com/watch?v=oX7OduG1YmI&amp;t=2534s" in page
    assert "https://www.youtube.com/watch?v=oX7OduG1YmI&amp;t=2500s" in page
    assert page.index("More eyes.") < page.index("Bad actors.")


def test_adding_an_argument_inline_takes_the_stance_of_its_section(editor_client):
    claim = ClaimFactory(text="A claim.")
    video = VideoFactory()
    url = reverse("admin:claims_claim_change", args=[claim.pk])
    data = {
        "text": "A claim.",
        "appearances-TOTAL_FORMS": "0",
        "appearances-INITIAL_FORMS": "0",
        "arguments-TOTAL_FORMS": "0",
        "arguments-INITIAL_FORMS": "0",
        "arguments-2-TOTAL_FORMS": "1",
        "arguments-2-INITIAL_FORMS": "0",
        "arguments-2-0-text": "It fails at scale.",
        "arguments-2-0-video": str(video.pk),
        "arguments-2-0-start_seconds": "00:41:40",
        "arguments-2-0-source_url": "",
    }
    response = editor_client.post(url, data)

    assert response.status_code == 302, response.context["errors"] if response.context else ""
    argument = Argument.objects.get()
    assert (argument.stance, argument.start_seconds, argument.status) == (
        Stance.AGAINST,
        2500,
        Status.DRAFT,
    )
    assert argument.history.get().history_change_reason == "Added in the admin"
    assert argument.history.get().history_user.username == "editor"
    # Nothing of the claim itself changed, so nothing of it was written.
    assert claim.history.count() == 1


def post_action(client, model: str, action: str, objects, **extra):
    url = reverse(f"admin:claims_{model}_changelist")
    data = {"action": action, ACTION_CHECKBOX_NAME: [o.pk for o in objects], **extra}
    return client.post(url, data, follow=True)


def test_bulk_publish_drafts(editor_client, editor):
    drafts = GroundedClaimFactory.create_batch(3)

    post_action(editor_client, "claim", "publish", drafts)

    assert Claim.objects.published().count() == 3
    assert {c.history.latest().history_user for c in Claim.objects.all()} == {editor}


def test_bulk_retract_asks_for_a_reason_first(editor_client):
    claims = PublishedClaimFactory.create_batch(2)

    response = post_action(editor_client, "claim", "retract", claims)
    assert response.templates[0].name == "admin/claims/retract.html"
    assert Claim.objects.published().count() == 2

    post_action(editor_client, "claim", "retract", claims, confirm="yes", reason="Not a claim.")

    assert list(Claim.objects.order_by().values_list("status", "retraction_reason").distinct()) == [
        (Status.RETRACTED, "Not a claim.")
    ]


def test_merge_from_the_changelist(editor_client):
    keep = PublishedClaimFactory()
    duplicate = PublishedClaimFactory()
    appearance = AppearanceFactory(claim=duplicate)

    response = post_action(editor_client, "claim", "merge", [keep, duplicate])
    assert response.templates[0].name == "admin/claims/claim/merge.html"

    post_action(editor_client, "claim", "merge", [keep, duplicate], confirm="yes", keep=keep.pk)

    appearance.refresh_from_db()
    duplicate.refresh_from_db()
    assert appearance.claim == keep
    assert (duplicate.status, duplicate.merged_into) == (Status.RETRACTED, keep)


def test_argument_actions_publish_and_retract(editor_client):
    arguments = ArgumentFactory.create_batch(2)
    post_action(editor_client, "argument", "publish", arguments)
    assert Argument.objects.published().count() == 2
    post_action(editor_client, "argument", "retract", arguments, confirm="yes", reason="Dropped.")
    assert not Argument.objects.published().exists()


def test_editor_reverts_an_edit_from_the_history_page(editor_client, editor):
    claim = ClaimFactory(text="Open models are safer.")
    first = claim.history.earliest()
    claim.text = "Open models are vandalised."
    claim.save()

    url = reverse("admin:claims_claim_simple_history", args=[claim.pk, first.history_id])
    assert editor_client.get(url).status_code == 200
    response = editor_client.post(url, {})

    assert response.status_code == 302
    assert response["Location"] == reverse("admin:claims_claim_change", args=[claim.pk])
    claim.refresh_from_db()
    assert claim.text == "Open models are safer."
    latest = claim.history.latest()
    assert latest.history_user == editor
    assert latest.history_change_reason.startswith(f"Reverted to version {first.history_id} of ")


def test_note_page_shows_sanitized_rendered_markdown_with_links(editor_client):
    channel = ChannelFactory(slug="cleoabram")
    video = VideoFactory(youtube_id="oX7OduG1YmI", channel=channel)
    other = NoteFactory(title="Other note", slug="other_note")
    note = NoteFactory(
        video=video,
        body_markdown=(
            "From: [[cleoabram]]\n\nSafer [00:42:05]. See [[Other note|the other]] and "
            "[[ai_safety | safety]].\n\n<script>alert(1)</script>"
        ),
    )
    for slug in ("cleoabram", "other_note", "ai_safety"):
        WikiLinkFactory(note=note, target_slug=slug)

    page = editor_client.get(reverse("admin:notes_note_change", args=[note.pk])).content.decode()

    assert 'href="https://www.youtube.com/watch?v=oX7OduG1YmI&amp;t=2525s"' in page
    assert reverse("admin:notes_note_change", args=[other.pk]) in page
    assert reverse("admin:notes_channel_change", args=[channel.pk]) in page
    assert reverse("admin:notes_note_changelist") + "?links__target_slug=ai_safety" in page
    assert "<script>alert(1)</script>" not in page


def test_topic_link_lists_the_notes_linking_to_it(editor_client):
    linking = NoteFactory(title="Linking note", slug="linking_note")
    WikiLinkFactory(note=linking, target_slug="ai_safety")
    NoteFactory(title="Unrelated note", slug="unrelated_note")

    response = editor_client.get(
        reverse("admin:notes_note_changelist") + "?links__target_slug=ai_safety"
    )

    assert list(response.context["cl"].result_list) == [linking]


def test_note_body_edit_refreshes_its_links(editor_client):
    note = NoteFactory(body_markdown="See [[old_topic]].")
    WikiLinkFactory(note=note, target_slug="old_topic")
    url = reverse("admin:notes_note_change", args=[note.pk])

    response = editor_client.post(
        url,
        {
            "title": note.title,
            "slug": note.slug,
            "video": note.video.pk,
            "body_markdown": "See [[New Topic|new]] and [[cleoabram]].",
            "front_matter": "{}",
            "links-TOTAL_FORMS": "0",
            "links-INITIAL_FORMS": "0",
        },
    )

    assert response.status_code == 302
    assert sorted(Note.objects.get().links.values_list("target_slug", flat=True)) == [
        "cleoabram",
        "new_topic",
    ]


def upload(name: str, text: str | bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, text if isinstance(text, bytes) else text.encode())


NOTE = (
    "---\ntitle: {title}\nvideoId: oX7OduG1YmI\n---\n\nFrom: [[cleoabram]]\n\n"
    "Open models are safer [00:42:05].\n"
)
IMPORT_URL = "/admin/claims/claim/import-notes/"


def test_editor_imports_uploaded_notes_and_sees_each_problem(editor_client, editor):
    response = editor_client.post(
        IMPORT_URL,
        {
            "files": [
                upload("good.md", NOTE.format(title="Uploaded note")),
                upload("broken.md", "no front matter here"),
                upload("picture.png", b"\x89PNG"),
            ],
            "extract_claims": "on",
        },
    )

    assert response.status_code == 200
    report = response.context["report"]
    assert report.summary() == (
        "3 files: 1 created, 0 updated, 0 unchanged, 2 errors "
        "(2 not imported; 1 draft claim extracted)"
    )
    assert report.errors == [
        "picture.png:1: not a markdown note (expected a .md file)",
        "broken.md:1: no front matter: a note must start with a '---' line",
    ]
    note = Note.objects.get(slug="uploaded_note")
    assert note.source_path == "good.md"
    assert note.history.get().history_user == editor
    assert Claim.objects.drafts().get().appearances.get().start_seconds == 2525

    again = editor_client.post(
        IMPORT_URL, {"files": [upload("good.md", NOTE.format(title="Uploaded note"))]}
    )
    assert (
        again.context["report"].summary() == "1 file: 0 created, 0 updated, 1 unchanged, 0 errors"
    )


def test_hostile_uploads_are_reported_and_the_good_note_imports(editor_client):
    long_link = NOTE.format(title="Long link").replace(
        "[[cleoabram]]", "[[" + " ".join(["word"] * 250) + "]]"
    )
    response = editor_client.post(
        IMPORT_URL,
        {
            "files": [
                upload("a_good.md", NOTE.format(title="Uploaded note")),
                upload("b_long_link.md", long_link),
                upload("c_nul.md", NOTE.format(title='"Nul\\0"')),
                upload("d_surrogate.md", NOTE.format(title='"\\uD800"')),
                upload("e_deep.md", NOTE.format(title="Deep\nx: " + "[" * 10_000 + "]" * 10_000)),
                upload("f_late.md", NOTE.format(title="Late").replace("00:42:05", "600000:00:00")),
            ],
            "extract_claims": "on",
        },
    )

    assert response.status_code == 200
    report = response.context["report"]
    assert report.errors == [
        f"b_long_link.md:6: wikilink target '{' '.join(['word'] * 12)}…' is longer than 200 "
        "characters, the most a link target may have; link left out",
        "c_nul.md:2: front matter holds the character U+0000, which cannot be stored",
        "d_surrogate.md:2: front matter holds the character U+D800, which cannot be stored",
        "e_deep.md:3: front matter is nested more than 20 levels deep "
        "(IMPORT_MAX_FRONT_MATTER_DEPTH)",
        "f_late.md:8: impossible timestamp [600000:00:00]: later than 596523:14:07, the latest "
        "time a note may name",
    ]
    assert report.summary() == (
        "6 files: 3 created, 0 updated, 0 unchanged, 5 errors "
        "(3 not imported; 2 draft claims extracted)"
    )
    assert set(Note.objects.values_list("slug", flat=True)) == {
        "uploaded_note",
        "long_link",
        "late",
    }


def test_an_upload_over_the_import_size_limit_is_refused(editor_client, settings):
    settings.IMPORT_MAX_FILE_BYTES = 70
    note = NOTE.format(title="Big")
    assert len(note.encode()) > 70

    response = editor_client.post(IMPORT_URL, {"files": [upload("big.md", note)]})

    assert response.context["report"].errors == [
        "big.md:1: file is larger than 70 bytes, the most a note may have (IMPORT_MAX_FILE_BYTES)"
    ]
    assert not Note.objects.exists()


def test_import_dry_run_saves_nothing(editor_client):
    response = editor_client.post(
        IMPORT_URL, {"files": [upload("good.md", NOTE.format(title="Dry"))], "dry_run": "on"}
    )

    assert "Dry run: nothing was saved" in response.content.decode()
    assert not Note.objects.exists()


def test_import_page_is_for_editors_only(client, contributor):
    client.force_login(contributor)
    assert client.get(IMPORT_URL).status_code == 302
    client.force_login(UserFactory(username="staff", is_staff=True))
    assert client.get(IMPORT_URL).status_code == 403


def test_note_list_links_to_the_import_page(editor_client):
    page = editor_client.get(reverse("admin:notes_note_changelist")).content.decode()
    assert f'href="{IMPORT_URL}"' in page
