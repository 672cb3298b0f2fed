"""The editors' admin changes statuses only along the state machine, and writes through services.

Each action says what it did and what it refused, and why; every form, inline and revert leaves
a history row naming the editor, and none of them can make a draft public by a side door.
"""

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.messages import get_messages
from django.urls import reverse

from claims import services
from claims.models import Appearance, Claim, Stance, Status
from tests.factories import (
    AppearanceFactory,
    ArgumentFactory,
    ClaimFactory,
    GroundedClaimFactory,
    TopicFactory,
    UserFactory,
    VideoFactory,
)

pytestmark = pytest.mark.django_db

NO_INLINES = {
    "appearances-TOTAL_FORMS": "0",
    "appearances-INITIAL_FORMS": "0",
    "arguments-TOTAL_FORMS": "0",
    "arguments-INITIAL_FORMS": "0",
    "arguments-2-TOTAL_FORMS": "0",
    "arguments-2-INITIAL_FORMS": "0",
}


def published(**kwargs) -> Claim:
    return services.claim_publish(claim=GroundedClaimFactory(**kwargs), actor=None)


def retracted(**kwargs) -> Claim:
    return services.claim_retract(claim=published(**kwargs), actor=None, reason="Misquoted.")


def post_action(client, model: str, action: str, objects, **extra):
    url = reverse(f"admin:claims_{model}_changelist")
    data = {"action": action, ACTION_CHECKBOX_NAME: [o.pk for o in objects], **extra}
    return client.post(url, data, follow=True)


def said(response) -> list[tuple[str, str]]:
    return [(m.level_tag, str(m)) for m in get_messages(response.wsgi_request)]


def statuses(*items) -> list[str]:
    return [type(item).objects.get(pk=item.pk).status for item in items]


# The leak: a draft retracted, then read by id ---------------------------------------------------


def test_retracting_a_draft_is_refused_so_its_text_never_goes_public(editor_client, client):
    draft = GroundedClaimFactory(text="An unreviewed draft sentence.")

    response = post_action(
        editor_client, "claim", "retract", [draft], confirm="yes", reason="Not a claim."
    )

    assert said(response) == [
        (
            "warning",
            f"Claim #{draft.pk} is draft; only a published claim can be retracted: "
            "discard a draft instead.",
        )
    ]
    assert statuses(draft) == [Status.DRAFT]
    assert client.get(f"/api/v1/claims/{draft.pk}/").status_code == 404


def test_retract_page_asks_again_without_a_reason(editor_client):
    claim = published()

    response = post_action(editor_client, "claim", "retract", [claim], confirm="yes", reason="")

    assert response.templates[0].name == "admin/claims/retract.html"
    assert response.context["form"].errors == {"reason": ["This field is required."]}
    assert statuses(claim) == [Status.PUBLISHED]


# Publishing ------------------------------------------------------------------------------------


def test_bulk_publish_publishes_the_grounded_and_says_which_were_refused_and_why(editor_client):
    grounded = GroundedClaimFactory.create_batch(2)
    bare = ClaimFactory()
    gone = retracted()

    response = post_action(editor_client, "claim", "publish", [*grounded, bare, gone])

    assert statuses(*grounded, bare, gone) == [
        Status.PUBLISHED,
        Status.PUBLISHED,
        Status.DRAFT,
        Status.RETRACTED,
    ]
    assert sorted(said(response)) == [
        ("success", "Published 2 claims."),
        (
            "warning",
            f"Claim #{bare.pk} has no appearance: add where and when it was made before it "
            "can be published.",
        ),
        (
            "warning",
            f"Claim #{gone.pk} is retracted; only a draft claim can be published: restore it "
            "instead, with a reason.",
        ),
    ]


def test_publishing_one_claim_says_one_claim(editor_client):
    response = post_action(editor_client, "claim", "publish", [GroundedClaimFactory()])

    assert said(response) == [("success", "Published 1 claim.")]


def test_publishing_an_argument_on_a_draft_premise_is_refused_with_the_reason(editor_client):
    premise = GroundedClaimFactory()
    argument = ArgumentFactory(premise=premise)

    response = post_action(editor_client, "argument", "publish", [argument])

    assert said(response) == [
        (
            "warning",
            f"Argument #{argument.pk}: Claim #{premise.pk}, the premise, is draft: a published "
            "argument rests on a published claim.",
        )
    ]
    assert statuses(argument) == [Status.DRAFT]


# Restoring -------------------------------------------------------------------------------------


@pytest.mark.parametrize("model", ["claim", "argument"])
def test_restore_asks_for_its_own_reason_and_records_it(editor_client, editor, model):
    if model == "claim":
        item = retracted()
    else:
        item = services.argument_publish(argument=ArgumentFactory(), actor=None)
        services.argument_retract(argument=item, actor=None, reason="Source withdrawn.")

    first = post_action(editor_client, model, "restore", [item])
    assert first.templates[0].name == "admin/claims/restore.html"
    without_reason = post_action(editor_client, model, "restore", [item], confirm="yes")
    assert without_reason.context["form"].errors == {"reason": ["This field is required."]}
    assert statuses(item) == [Status.RETRACTED]

    done = post_action(
        editor_client, model, "restore", [item], confirm="yes", reason="Checked again."
    )

    assert said(done) == [("success", f"Restored 1 {model}.")]
    item = type(item).objects.get(pk=item.pk)
    assert (item.status, item.retraction_reason) == (Status.PUBLISHED, "")
    latest = item.history.latest()
    assert (latest.history_user, latest.history_change_reason) == (
        editor,
        "retracted → published: Checked again.",
    )


def test_restore_refuses_what_was_never_retracted(editor_client):
    draft = GroundedClaimFactory()

    response = post_action(editor_client, "claim", "restore", [draft], confirm="yes", reason="R")

    assert said(response) == [
        (
            "warning",
            f"Claim #{draft.pk} is draft; only a retracted claim can be restored: "
            "publish it instead.",
        )
    ]
    assert statuses(draft) == [Status.DRAFT]


# Discarding and the status filter -------------------------------------------------------------


@pytest.mark.parametrize("model", ["claim", "argument"])
def test_discard_confirms_then_hides_drafts_from_the_default_list(editor_client, editor, model):
    factory = GroundedClaimFactory if model == "claim" else ArgumentFactory
    kept, thrown = factory.create_batch(2)
    changelist = reverse(f"admin:claims_{model}_changelist")

    page = post_action(editor_client, model, "discard", [thrown])
    assert page.templates[0].name == "admin/claims/discard.html"
    assert statuses(thrown) == [Status.DRAFT]
    done = post_action(
        editor_client, model, "discard", [thrown], confirm="yes", reason="Not a claim."
    )

    assert said(done) == [("success", f"Discarded 1 {model}.")]
    assert statuses(kept, thrown) == [Status.DRAFT, Status.DISCARDED]
    assert type(thrown).objects.get(pk=thrown.pk).history.latest().history_change_reason == (
        "draft → discarded: Not a claim."
    )
    listed = editor_client.get(changelist).context["cl"].result_list
    assert list(listed) == [kept]
    asked = editor_client.get(changelist + "?status__exact=discarded").context["cl"]
    assert list(asked.result_list) == [thrown]
    every = editor_client.get(changelist + "?status__exact=any").context["cl"]
    assert sorted(item.pk for item in every.result_list) == sorted([kept.pk, thrown.pk])


def test_the_status_filter_names_its_default(editor_client):
    page = editor_client.get(reverse("admin:claims_claim_changelist")).content.decode()

    assert "Not discarded" in page
    assert "Any, discarded included" in page


def test_discarding_a_published_claim_is_refused(editor_client):
    claim = published()

    response = post_action(editor_client, "claim", "discard", [claim], confirm="yes", reason="")

    assert said(response) == [
        (
            "warning",
            f"Claim #{claim.pk} is published; only a draft claim can be discarded: retract it "
            "instead, with a reason.",
        )
    ]


# Merging ---------------------------------------------------------------------------------------


def test_merge_page_lists_what_becomes_public(editor_client):
    keep = published()
    draft = ClaimFactory(text="Extracted sentence.")
    video = VideoFactory(youtube_id="oX7OduG1YmI")
    appearance = AppearanceFactory(
        claim=draft, video=video, start_seconds=2525, quote="more eyes find bugs"
    )
    argument = ArgumentFactory(claim=draft, status=Status.PUBLISHED, text="Linux is proof.")
    hidden = ArgumentFactory(claim=draft, status=Status.DRAFT, text="Unreviewed reason.")

    page = post_action(editor_client, "claim", "merge", [keep, draft]).content.decode()

    assert "Made public by this merge" in page
    assert (
        f"Appearance #{appearance.pk} of claim #{draft.pk}: oX7OduG1YmI at 00:42:05: "
        "“more eyes find bugs”"
    ) in page
    assert f"Argument #{argument.pk} of claim #{draft.pk} (for): Linux is proof." in page
    assert f"Argument #{hidden.pk}" not in page


def test_merge_page_says_nothing_becomes_public_among_drafts(editor_client):
    drafts = GroundedClaimFactory.create_batch(2)

    page = post_action(editor_client, "claim", "merge", drafts).content.decode()

    assert "Made public by this merge" not in page


def test_merging_a_draft_into_a_published_claim(editor_client, editor):
    keep = published()
    draft = GroundedClaimFactory()
    moved = draft.appearances.get()

    response = post_action(
        editor_client, "claim", "merge", [keep, draft], confirm="yes", keep=keep.pk
    )

    url = reverse("admin:claims_claim_change", args=[keep.pk])
    assert said(response) == [
        ("success", f'Merged 1 claim into <a href="{url}">claim #{keep.pk}</a>.')
    ]
    draft.refresh_from_db()
    assert (draft.status, draft.merged_into) == (Status.DISCARDED, keep)
    latest = keep.history.latest()
    assert latest.history_user == editor
    assert latest.history_change_reason == (
        f"Merged in claim #{draft.pk} (draft): received appearance #{moved.pk}; "
        f"made public appearance #{moved.pk}"
    )


# Change forms and inlines write through the services ------------------------------------------


def test_claim_form_edits_text_and_never_the_status(editor_client, editor):
    claim = GroundedClaimFactory(text="Old words.")
    url = reverse("admin:claims_claim_change", args=[claim.pk])

    response = editor_client.post(
        url,
        {
            "text": "New words.",
            "status": "published",
            "published_at": "2024-01-01",
            "opened_version": str(claim.version),
            **NO_INLINES,
        },
    )

    assert response.status_code == 302
    claim.refresh_from_db()
    assert (claim.text, claim.status, claim.published_at) == ("New words.", Status.DRAFT, None)
    latest = claim.history.latest()
    assert (latest.history_user, latest.history_change_reason) == (editor, "Edited in the admin")


def test_claim_add_form_creates_a_draft_with_its_appearance(editor_client, editor):
    video = VideoFactory()
    data = {
        **NO_INLINES,
        "text": "A new claim.",
        "appearances-TOTAL_FORMS": "1",
        "appearances-0-video": str(video.pk),
        "appearances-0-start_seconds": "00:01:05",
        "appearances-0-quote": "as said",
    }

    response = editor_client.post(reverse("admin:claims_claim_add"), data)

    assert response.status_code == 302
    claim = Claim.objects.get()
    assert (claim.text, claim.status) == ("A new claim.", Status.DRAFT)
    appearance = claim.appearances.get()
    assert (appearance.start_seconds, appearance.quote) == (65, "as said")
    for item in (claim, appearance):
        latest = item.history.get()
        assert (latest.history_user, latest.history_change_reason) == (
            editor,
            "Added in the admin",
        )


def test_inline_edit_of_an_appearance_is_recorded(editor_client, editor):
    claim = published(text="A claim.")
    appearance = claim.appearances.get()
    url = reverse("admin:claims_claim_change", args=[claim.pk])
    data = {
        **NO_INLINES,
        "text": "A claim.",
        "appearances-TOTAL_FORMS": "1",
        "appearances-INITIAL_FORMS": "1",
        "appearances-0-id": str(appearance.pk),
        "appearances-0-opened_version": str(appearance.version),
        "appearances-0-claim": str(claim.pk),
        "appearances-0-video": str(appearance.video_id),
        "appearances-0-start_seconds": "00:00:30",
        "appearances-0-quote": "",
    }

    response = editor_client.post(url, data)

    assert response.status_code == 302
    appearance.refresh_from_db()
    assert appearance.start_seconds == 30
    latest = appearance.history.latest()
    assert (latest.history_user, latest.history_change_reason) == (editor, "Edited in the admin")
    assert claim.history.count() == 2


def appearance_form(appearance: Appearance, **changes) -> dict:
    return {
        "claim": str(appearance.claim_id),
        "video": str(appearance.video_id),
        "start_seconds": str(appearance.start_seconds),
        "quote": appearance.quote,
        "opened_version": str(appearance.version),
        **changes,
    }


def test_moving_the_last_appearance_of_a_published_claim_is_refused_in_the_form(editor_client):
    claim = published()
    appearance = claim.appearances.get()
    other = ClaimFactory()
    url = reverse("admin:claims_appearance_change", args=[appearance.pk])

    response = editor_client.post(url, appearance_form(appearance, claim=str(other.pk)))

    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {
        "claim": [
            f"Claim #{claim.pk} is published and this is its only appearance: give it another "
            "appearance first, or retract it."
        ]
    }
    appearance.refresh_from_db()
    assert appearance.claim == claim


def test_moving_an_appearance_to_another_claim_in_its_form(editor_client, editor):
    claim = published()
    second = AppearanceFactory(claim=claim)
    other = ClaimFactory()
    url = reverse("admin:claims_appearance_change", args=[second.pk])

    response = editor_client.post(url, appearance_form(second, claim=str(other.pk)))

    assert response.status_code == 302
    second.refresh_from_db()
    assert second.claim == other
    latest = second.history.latest()
    assert (latest.history_user, latest.history_change_reason) == (editor, "Edited in the admin")


def test_appearance_add_form_creates_through_the_service(editor_client, editor):
    claim = ClaimFactory()
    video = VideoFactory()

    response = editor_client.post(
        reverse("admin:claims_appearance_add"),
        {"claim": str(claim.pk), "video": str(video.pk), "start_seconds": "42:05", "quote": ""},
    )

    assert response.status_code == 302
    latest = Appearance.objects.get().history.get()
    assert (latest.start_seconds, latest.history_user, latest.history_change_reason) == (
        2525,
        editor,
        "Added in the admin",
    )


def test_argument_form_refuses_a_draft_premise_for_a_published_argument(editor_client):
    argument = services.argument_publish(argument=ArgumentFactory(), actor=None)
    premise = GroundedClaimFactory()
    url = reverse("admin:claims_argument_change", args=[argument.pk])
    data = {
        "claim": str(argument.claim_id),
        "stance": Stance.FOR,
        "text": argument.text,
        "video": str(argument.video_id),
        "start_seconds": str(argument.start_seconds),
        "premise": str(premise.pk),
    }

    response = editor_client.post(url, data)

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["premise"] == [
        f"Claim #{premise.pk}, the premise, is draft: a published argument rests on a "
        "published claim."
    ]
    argument.refresh_from_db()
    assert argument.premise is None


def test_argument_headings_name_the_stance_once(editor_client):
    claim = published()
    ArgumentFactory(claim=claim, stance=Stance.FOR, text="More eyes.")

    page = editor_client.get(reverse("admin:claims_claim_change", args=[claim.pk]))

    assert "For: More eyes." not in page.content.decode()
    assert "More eyes." in page.content.decode()


# Reverting -------------------------------------------------------------------------------------


def test_revert_page_shows_the_version_read_only_and_says_what_it_restores(editor_client):
    claim = ClaimFactory(text="Old words.")
    record = claim.history.get()
    url = reverse("admin:claims_claim_simple_history", args=[claim.pk, record.history_id])

    response = editor_client.get(url)

    assert response.status_code == 200
    assert list(response.context["adminform"].form.fields) == []
    assert "bring back this version's text. The status is" in response.content.decode()


def test_revert_to_a_draft_version_keeps_the_status_and_says_so(editor_client, editor):
    claim = GroundedClaimFactory(text="First words.")
    draft_version = claim.history.get()
    services.claim_publish(claim=claim, actor=editor)
    services.claim_update(claim=claim, changes={"text": "Second words."}, actor=editor)
    url = reverse("admin:claims_claim_simple_history", args=[claim.pk, draft_version.history_id])

    response = editor_client.post(url, {}, follow=True)

    claim.refresh_from_db()
    assert (claim.text, claim.status) == ("First words.", Status.PUBLISHED)
    assert said(response) == [
        ("success", f"Reverted claim #{claim.pk} to version {draft_version.history_id}."),
        (
            "warning",
            "Its status stays published (it was draft in that version): a revert restores "
            "content only. Change the status with the actions of the list.",
        ),
    ]
    assert claim.history.latest().history_user == editor


def test_reverting_a_retracted_claim_to_its_published_version_does_not_restore_it(editor_client):
    claim = retracted()
    published_version = claim.history.filter(status=Status.PUBLISHED).latest()
    url = reverse(
        "admin:claims_claim_simple_history", args=[claim.pk, published_version.history_id]
    )

    # The form fields a revert page once had are ignored: the version is taken as a whole.
    editor_client.post(url, {"text": claim.text, **NO_INLINES})

    claim.refresh_from_db()
    assert (claim.status, claim.retraction_reason) == (Status.RETRACTED, "Misquoted.")


def test_revert_that_would_leave_a_published_claim_bare_is_refused(editor_client, editor):
    draft = ClaimFactory()
    appearance = AppearanceFactory(claim=draft)
    on_draft = appearance.history.get()
    claim = ClaimFactory()
    services.appearance_update(appearance=appearance, changes={"claim": claim}, actor=editor)
    services.claim_publish(claim=claim, actor=editor)
    url = reverse(
        "admin:claims_appearance_simple_history", args=[appearance.pk, on_draft.history_id]
    )

    response = editor_client.post(url, {}, follow=True)

    assert response.redirect_chain[-1][0] == reverse(
        "admin:claims_appearance_history", args=[appearance.pk]
    )
    assert said(response) == [
        (
            "error",
            f"Not reverted: Appearance #{appearance.pk}: Claim #{claim.pk} is published and "
            "this is its only appearance: give it another appearance first, or retract it.",
        )
    ]
    appearance.refresh_from_db()
    assert appearance.claim == claim


def test_revert_is_for_editors_only(client):
    claim = ClaimFactory(text="Old words.")
    record = claim.history.get()
    services.claim_update(claim=claim, changes={"text": "New words."}, actor=None)
    url = reverse("admin:claims_claim_simple_history", args=[claim.pk, record.history_id])
    client.force_login(UserFactory(username="staff", is_staff=True))

    assert client.post(url, {}).status_code == 403

    claim.refresh_from_db()
    assert claim.text == "New words."


def test_actions_are_for_editors_only(client):
    draft = GroundedClaimFactory()
    client.force_login(UserFactory(username="staff", is_staff=True))

    response = post_action(client, "claim", "publish", [draft])

    assert response.status_code == 403
    assert statuses(draft) == [Status.DRAFT]


def test_an_argument_added_inline_cannot_rest_on_its_own_claim(editor_client):
    claim = ClaimFactory(text="A claim.")
    data = {
        **NO_INLINES,
        "text": "A claim.",
        "arguments-TOTAL_FORMS": "1",
        "arguments-0-text": "Because it says so.",
        "arguments-0-source_url": "https://example.org/",
        "arguments-0-premise": str(claim.pk),
    }

    response = editor_client.post(reverse("admin:claims_claim_change", args=[claim.pk]), data)

    assert response.status_code == 200
    assert [form.errors for form in response.context["inline_admin_formsets"][1].formset] == [
        {"premise": ["An argument cannot rest on the claim it argues for or against."]}
    ]
    assert not claim.arguments.exists()


def test_claim_form_changes_topics_in_one_history_row(editor_client, editor):
    claim = ClaimFactory(text="A claim.")
    topic = TopicFactory(slug="ai_safety")
    url = reverse("admin:claims_claim_change", args=[claim.pk])

    data = {**NO_INLINES, "text": "A claim.", "topics": [topic.pk], "opened_version": "1"}

    response = editor_client.post(url, data)

    assert response.status_code == 302
    assert list(claim.topics.all()) == [topic]
    assert claim.history.count() == 2
    latest = claim.history.latest()
    assert [row.topic for row in latest.topics.all()] == [topic]
    assert (latest.history_user, latest.history_change_reason) == (editor, "Edited in the admin")


@pytest.mark.parametrize("version", ["999", "not-a-number"])
def test_revert_of_an_unknown_version_is_not_found(editor_client, version):
    claim = ClaimFactory()
    url = reverse("admin:claims_claim_simple_history", args=[claim.pk, version])

    assert editor_client.post(url, {}).status_code == 404
