"""Two editors on one claim: the admin's change forms and inline rows carry the version they
were opened at, and the second editor to save over the same version is told, with nothing of
the first overwritten."""

import pytest
from django.test import Client
from django.urls import reverse

from claims import services
from claims.models import Appearance, Argument, Claim, Stance
from tests.factories import (
    AppearanceFactory,
    ArgumentFactory,
    ClaimFactory,
    EditorFactory,
    GroundedClaimFactory,
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


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def first():
    return logged_in(EditorFactory(username="first_editor"))


@pytest.fixture
def second():
    return logged_in(EditorFactory(username="second_editor"))


def claim_form(claim: Claim, *, text: str, opened: int | None) -> dict:
    data = {**NO_INLINES, "text": text}
    return data if opened is None else {**data, "opened_version": str(opened)}


def appearance_form(appearance: Appearance, *, opened: int, **changes) -> dict:
    return {
        "claim": str(appearance.claim_id),
        "video": str(appearance.video_id),
        "start_seconds": str(appearance.start_seconds),
        "quote": appearance.quote,
        "opened_version": str(opened),
        **changes,
    }


def argument_form(argument: Argument, *, opened: int, **changes) -> dict:
    return {
        "claim": str(argument.claim_id),
        "stance": argument.stance,
        "text": argument.text,
        "video": str(argument.video_id),
        "start_seconds": str(argument.start_seconds),
        "source_url": argument.source_url,
        "opened_version": str(opened),
        **changes,
    }


def form_errors(response) -> list[str]:
    return response.context["adminform"].form.non_field_errors()


def conflict_message(kind: str, pk: int, *, by: str, opened: int, current: int) -> str:
    return (
        f"{kind} #{pk} was changed by {by} after you opened it (you opened version {opened}; "
        f"it is at version {current} now). Nothing was saved. Open it again to see that change, "
        "then make yours."
    )


# The change forms --------------------------------------------------------------------------


def test_the_claim_form_carries_the_version_it_was_opened_at(first):
    claim = GroundedClaimFactory()
    services.claim_update(claim=claim, changes={"text": "Second version."}, actor=None)
    appearance = claim.appearances.get()

    page = first.get(reverse("admin:claims_claim_change", args=[claim.pk])).content.decode()

    assert '<input type="hidden" name="opened_version" value="2"' in page
    assert (
        f'<input type="hidden" name="appearances-0-opened_version" value="{appearance.version}"'
        in page
    )


def test_the_second_editor_saving_the_same_claim_version_is_told_and_changes_nothing(first, second):
    claim = ClaimFactory(text="As opened.")
    url = reverse("admin:claims_claim_change", args=[claim.pk])

    saved = first.post(url, claim_form(claim, text="First editor's words.", opened=1))
    told = second.post(url, claim_form(claim, text="Second editor's words.", opened=1))

    assert saved.status_code == 302
    assert told.status_code == 200
    assert form_errors(told) == [
        conflict_message("Claim", claim.pk, by="first_editor", opened=1, current=2)
    ]
    claim.refresh_from_db()
    assert (claim.text, claim.version) == ("First editor's words.", 2)
    assert claim.history.count() == 2


def test_saving_again_from_the_current_version_is_applied(first, second):
    claim = ClaimFactory(text="As opened.")
    url = reverse("admin:claims_claim_change", args=[claim.pk])
    first.post(url, claim_form(claim, text="First editor's words.", opened=1))

    response = second.post(url, claim_form(claim, text="Second editor's words.", opened=2))

    assert response.status_code == 302
    claim.refresh_from_db()
    assert (claim.text, claim.version) == ("Second editor's words.", 3)


def test_a_form_that_changes_nothing_saves_whatever_the_version(first):
    claim = ClaimFactory(text="As opened.")
    services.claim_update(claim=claim, changes={"text": "Changed since."}, actor=None)
    url = reverse("admin:claims_claim_change", args=[claim.pk])

    response = first.post(url, claim_form(claim, text="Changed since.", opened=1))

    assert response.status_code == 302
    claim.refresh_from_db()
    assert claim.version == 2


def test_a_form_without_its_version_that_changes_something_is_refused(first):
    claim = ClaimFactory(text="As opened.")
    url = reverse("admin:claims_claim_change", args=[claim.pk])

    response = first.post(url, claim_form(claim, text="New words.", opened=None))

    assert response.status_code == 200
    assert form_errors(response) == [
        f"Claim #{claim.pk}: this form does not say which version it was opened at, so saving "
        "it could overwrite someone else's change. Open it again and make your change."
    ]
    claim.refresh_from_db()
    assert claim.text == "As opened."


def test_a_status_change_since_opening_is_a_change_too(first):
    claim = GroundedClaimFactory(text="As opened.")
    services.claim_publish(claim=claim, actor=None)
    url = reverse("admin:claims_claim_change", args=[claim.pk])

    response = first.post(url, claim_form(claim, text="New words.", opened=1))

    assert response.status_code == 200
    assert "you opened version 1; it is at version 2 now" in form_errors(response)[0]
    claim.refresh_from_db()
    assert claim.text == "As opened."


def test_the_second_editor_saving_the_same_appearance_version_is_told(first, second):
    appearance = AppearanceFactory(start_seconds=10)
    url = reverse("admin:claims_appearance_change", args=[appearance.pk])

    saved = first.post(url, appearance_form(appearance, opened=1, start_seconds="20"))
    told = second.post(url, appearance_form(appearance, opened=1, quote="as said"))

    assert (saved.status_code, told.status_code) == (302, 200)
    assert form_errors(told) == [
        conflict_message("Appearance", appearance.pk, by="first_editor", opened=1, current=2)
    ]
    appearance.refresh_from_db()
    assert (appearance.start_seconds, appearance.quote, appearance.version) == (20, "", 2)


def test_the_second_editor_saving_the_same_argument_version_is_told(first, second):
    argument = ArgumentFactory(text="As opened.")
    url = reverse("admin:claims_argument_change", args=[argument.pk])

    saved = first.post(url, argument_form(argument, opened=1, text="First reason."))
    told = second.post(url, argument_form(argument, opened=1, stance=Stance.AGAINST))

    assert (saved.status_code, told.status_code) == (302, 200)
    assert form_errors(told) == [
        conflict_message("Argument", argument.pk, by="first_editor", opened=1, current=2)
    ]
    argument.refresh_from_db()
    assert (argument.text, argument.stance, argument.version) == ("First reason.", "for", 2)


# The inline rows ---------------------------------------------------------------------------


def inline_appearance(claim: Claim, appearance: Appearance, *, opened: int, start: str) -> dict:
    return {
        **NO_INLINES,
        "text": claim.text,
        "opened_version": str(claim.version),
        "appearances-TOTAL_FORMS": "1",
        "appearances-INITIAL_FORMS": "1",
        "appearances-0-id": str(appearance.pk),
        "appearances-0-opened_version": str(opened),
        "appearances-0-claim": str(claim.pk),
        "appearances-0-video": str(appearance.video_id),
        "appearances-0-start_seconds": start,
        "appearances-0-quote": appearance.quote,
    }


def inline_errors(response, index: int = 0) -> list[list[str]]:
    formset = response.context["inline_admin_formsets"][index].formset
    return [list(form.non_field_errors()) for form in formset]


def test_the_second_editor_saving_the_same_inline_row_is_told_and_nothing_is_saved(first, second):
    claim = GroundedClaimFactory(text="As opened.")
    appearance = claim.appearances.get()
    url = reverse("admin:claims_claim_change", args=[claim.pk])

    saved = first.post(url, inline_appearance(claim, appearance, opened=1, start="00:00:20"))
    told_data = inline_appearance(claim, appearance, opened=1, start="00:00:30")
    told = second.post(url, {**told_data, "text": "Second editor's words."})

    assert (saved.status_code, told.status_code) == (302, 200)
    assert inline_errors(told) == [
        [conflict_message("Appearance", appearance.pk, by="first_editor", opened=1, current=2)]
    ]
    appearance.refresh_from_db()
    claim.refresh_from_db()
    assert (appearance.start_seconds, appearance.version) == (20, 2)
    # The claim's own change, valid on its own, is not saved either: the page saves as a whole.
    assert (claim.text, claim.version) == ("As opened.", 1)


def test_a_claim_edit_that_leaves_a_changed_row_as_shown_is_told_too(first, second):
    """The row's old values, posted back unchanged, would overwrite the other editor's."""
    claim = GroundedClaimFactory(text="As opened.")
    appearance = claim.appearances.get()
    shown = appearance.start_seconds
    url = reverse("admin:claims_claim_change", args=[claim.pk])
    first.post(url, inline_appearance(claim, appearance, opened=1, start="00:00:20"))

    told_data = inline_appearance(claim, appearance, opened=1, start=str(shown))
    told = second.post(url, {**told_data, "text": "Second editor's words."})

    assert told.status_code == 200
    assert inline_errors(told)[0][0].startswith(f"Appearance #{appearance.pk} was changed")
    appearance.refresh_from_db()
    assert appearance.start_seconds == 20


def test_an_untouched_row_changed_elsewhere_does_not_stop_a_save(first):
    claim = GroundedClaimFactory(text="As opened.")
    argument = ArgumentFactory(claim=claim, text="A reason.")
    services.argument_update(argument=argument, changes={"text": "Edited elsewhere."}, actor=None)
    url = reverse("admin:claims_claim_change", args=[claim.pk])

    response = first.post(url, claim_form(claim, text="New words.", opened=1))

    assert response.status_code == 302
    claim.refresh_from_db()
    argument.refresh_from_db()
    assert (claim.text, argument.text) == ("New words.", "Edited elsewhere.")


# Who may --------------------------------------------------------------------------------------


def test_a_moderator_views_the_claim_without_a_version_to_save(client, moderator):
    claim = GroundedClaimFactory(text="As opened.")
    client.force_login(moderator)
    url = reverse("admin:claims_claim_change", args=[claim.pk])

    page = client.get(url)
    refused = client.post(url, claim_form(claim, text="Moderated words.", opened=1))

    assert page.status_code == 200
    assert "opened_version" not in page.context["adminform"].form.fields
    assert 'name="opened_version"' not in page.content.decode()
    assert refused.status_code == 403
    claim.refresh_from_db()
    assert claim.text == "As opened."
