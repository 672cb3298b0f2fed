"""Small things an editor noticed (issue 7, item 12)."""

import pytest
from django.urls import reverse

from claims import services
from claims.models import Stance
from tests.factories import ArgumentFactory, GroundedClaimFactory
from tests.test_admin import IMPORT_URL, NOTE, upload

pytestmark = pytest.mark.django_db


def test_history_names_editors_and_links_them_only_for_who_may_open_user_pages(
    client, editor, superuser
):
    claim = GroundedClaimFactory()
    services.claim_publish(claim=claim, actor=editor)
    url = reverse("admin:claims_claim_history", args=[claim.pk])
    user_page = reverse("admin:auth_user_change", args=[editor.pk])

    client.force_login(editor)
    as_editor = client.get(url).content.decode()
    assert ">editor<" in as_editor.replace("\\n", "").replace(" ", "")
    assert user_page not in as_editor

    client.force_login(superuser)
    assert f'<a href="{user_page}">editor</a>' in client.get(url).content.decode()


def test_argument_headings_name_the_stance_once(editor_client):
    claim = GroundedClaimFactory()
    ArgumentFactory(claim=claim, stance=Stance.FOR, text="More eyes find bugs.")
    ArgumentFactory(claim=claim, stance=Stance.AGAINST, text="Bad actors get them.")

    html = editor_client.get(reverse("admin:claims_claim_change", args=[claim.pk])).content
    html = " ".join(html.decode().split())

    assert '<b>Argument for:</b> <span class="inline_label">More eyes find bugs. </span>' in html
    assert (
        '<b>Argument against:</b> <span class="inline_label">Bad actors get them. </span>' in html
    )
    assert "For: " not in html and "Against: " not in html


def test_action_messages_are_in_the_number_their_count_asks_for(editor_client):
    claims = [GroundedClaimFactory(), GroundedClaimFactory()]
    changelist = reverse("admin:claims_claim_changelist")

    one = editor_client.post(
        changelist, {"action": "publish", "_selected_action": [claims[0].pk]}, follow=True
    )
    two = editor_client.post(
        changelist,
        {
            "action": "retract",
            "_selected_action": [c.pk for c in claims],
            "confirm": "1",
            "reason": "Wrong.",
        },
        follow=True,
    )

    assert [str(m) for m in one.context["messages"]] == ["Published 1 claim."]
    messages = [str(m) for m in two.context["messages"]]
    assert messages[0] == "Retracted 1 claim."
    assert "(s)" not in " ".join(messages)


def test_the_upload_report_counts_every_file_sent(editor_client):
    response = editor_client.post(
        IMPORT_URL,
        {
            "files": [
                upload(f"note_{number}.md", NOTE.format(title=f"Note {number}"))
                for number in range(4)
            ]
            + [upload("readme.txt", "not a note")],
        },
    )

    report = response.context["report"]
    assert report.files == 5
    assert report.files == report.created + report.updated + report.unchanged + report.not_imported
    assert report.summary() == (
        "5 files: 4 created, 0 updated, 0 unchanged, 1 error (1 not imported)"
    )
