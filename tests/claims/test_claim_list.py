"""Finding a video's claims in the admin: filters by video and speaker, search, "first made",
and the video's own page."""

from datetime import date

import pytest
from django.db import connection
from django.db.models.signals import post_init
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from claims.models import Appearance, Stance, Status
from tests.factories import (
    AppearanceFactory,
    ArgumentFactory,
    ClaimFactory,
    SpeakerFactory,
    VideoFactory,
)

pytestmark = pytest.mark.django_db

CLAIMS = reverse("admin:claims_claim_changelist")


@pytest.fixture
def made():
    """Two videos, two speakers, three claims."""
    interview = VideoFactory(youtube_id="oX7OduG1YmI", title="Open source in AI")
    other = VideoFactory(title="Smartphone cameras")
    lecun = SpeakerFactory(name="Yann LeCun")
    safer = ClaimFactory(text="Open models are safer.")
    AppearanceFactory(claim=safer, video=interview, start_seconds=2525, speaker=lecun)
    AppearanceFactory(claim=safer, video=other, start_seconds=10)
    closed = ClaimFactory(text="Closed models keep bad actors out.")
    AppearanceFactory(claim=closed, video=interview, start_seconds=2500)
    lenses = ClaimFactory(text="Phone lenses are tiny.")
    AppearanceFactory(claim=lenses, video=other, start_seconds=60, speaker=lecun)
    return interview, other, lecun, safer, closed, lenses


def listed(client, query: str) -> set[str]:
    response = client.get(CLAIMS + query)
    assert response.status_code == 200
    return {claim.text for claim in response.context["cl"].result_list}


def test_the_claims_list_filters_by_video_and_by_speaker(editor_client, made):
    interview, other, lecun, safer, closed, lenses = made
    assert listed(editor_client, f"?video={interview.pk}") == {safer.text, closed.text}
    assert listed(editor_client, f"?speaker={lecun.pk}") == {safer.text, lenses.text}
    assert listed(editor_client, f"?video={other.pk}&speaker={lecun.pk}") == {
        safer.text,
        lenses.text,
    }


def test_the_video_filter_is_an_autocomplete_box_showing_the_chosen_video(editor_client, made):
    interview = made[0]
    html = editor_client.get(CLAIMS + f"?video={interview.pk}&q=open").content.decode()
    assert 'data-ajax--url="/admin/autocomplete/"' in html
    assert 'data-model-name="appearance" data-field-name="video"' in html
    assert f'<option value="{interview.pk}" selected>Open source in AI' in html
    # The other parameters ride along; "All" drops the filter and keeps them.
    assert '<input type="hidden" name="q" value="open">' in html
    assert 'href="?q=open">All</a>' in html
    assert "admin/claims/list_filter.js" in html


@pytest.mark.parametrize("value", ["abc", "²", "99999999999999999999", "-1"])
def test_a_malformed_video_filter_is_refused_without_an_error(editor_client, made, value):
    response = editor_client.get(CLAIMS, {"video": value})
    assert response.status_code == 302
    assert response["Location"].endswith("?e=1")


def test_the_autocomplete_answers_editors_and_moderators_and_no_one_else(
    client, editor, moderator, contributor, made
):
    url = "/admin/autocomplete/?app_label=claims&model_name=appearance&field_name=video&term=smart"
    for user in (editor, moderator):
        client.force_login(user)
        response = client.get(url)
        results = [r["text"] for r in response.json()["results"]]
        assert results == [f"Smartphone cameras ({made[1].youtube_id})"]
    client.force_login(contributor)
    assert client.get(url).status_code == 302  # to the admin's log-in page


@pytest.mark.parametrize(
    ("term", "expected"),
    [
        ("oX7OduG1YmI", {"Open models are safer.", "Closed models keep bad actors out."}),
        ("smartphone", {"Open models are safer.", "Phone lenses are tiny."}),
        ("LeCun", {"Open models are safer.", "Phone lenses are tiny."}),
    ],
)
def test_search_covers_video_id_title_and_speaker_name(editor_client, made, term, expected):
    assert listed(editor_client, f"?q={term}") == expected


def test_first_made_names_the_video_and_the_time(editor_client, made):
    html = editor_client.get(CLAIMS).content.decode()
    assert (
        '<a class="timestamp" href="https://www.youtube.com/watch?v=oX7OduG1YmI&amp;t=2500s" '
        'target="_blank" rel="noopener">Open source in AI at 00:41:40</a>'
    ) in html


def test_first_made_is_in_the_earliest_dated_video(editor_client, made):
    interview, other, _, safer, *_ = made
    interview.published_on = date(2024, 9, 20)
    interview.save()
    other.published_on = date(2024, 10, 1)
    other.save()

    (row,) = [
        claim for claim in editor_client.get(CLAIMS).context["cl"].result_list if claim == safer
    ]

    assert [(a.video_id, a.start_seconds) for a in row.first_appearances] == [(interview.pk, 2525)]


def test_first_made_reads_one_appearance_per_claim_of_the_page(editor_client, made):
    interview, _, _, safer, *_ = made
    for second in range(30):
        AppearanceFactory(claim=safer, video=interview, start_seconds=3000 + second)
    built = []

    def count(sender, instance, **kwargs) -> None:
        built.append(instance)

    post_init.connect(count, sender=Appearance)
    try:
        response = editor_client.get(CLAIMS)
    finally:
        post_init.disconnect(count, sender=Appearance)

    assert response.status_code == 200
    assert len(built) == 3  # safer, closed and lenses: one each


def test_the_filtered_list_query_count_does_not_grow_with_the_page(editor_client, made):
    interview, _, lecun, *_ = made

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            response = editor_client.get(CLAIMS + f"?video={interview.pk}&speaker={lecun.pk}&q=o")
            assert response.status_code == 200
        return len(captured)

    few = queries()
    for number in range(15):
        claim = ClaimFactory(text=f"Open claim {number}.")
        AppearanceFactory(claim=claim, video=interview, speaker=lecun, start_seconds=number)
    assert queries() == few


def test_the_video_page_lists_its_claims_and_arguments_in_time_order(editor_client, made):
    interview, _, _, safer, closed, _ = made
    ArgumentFactory(claim=safer, stance=Stance.AGAINST, video=interview, start_seconds=2510)
    gone = ClaimFactory(text="A discarded draft.", status=Status.DISCARDED)
    AppearanceFactory(claim=gone, video=interview, start_seconds=1)

    url = reverse("admin:notes_video_change", args=[interview.pk])
    editor_client.get(url)  # Content types are cached from then on.
    with CaptureQueriesContext(connection) as captured:
        html = editor_client.get(url).content.decode()

    texts = ["Closed models keep bad actors out.", "Reason number", "Open models are safer."]
    positions = [html.index(text) for text in texts]
    assert positions == sorted(positions)
    assert "argument against" in html
    assert "https://www.youtube.com/watch?v=oX7OduG1YmI&amp;t=2510s" in html
    assert "A discarded draft." not in html
    assert reverse("admin:claims_claim_change", args=[closed.pk]) in html
    for second in range(10):
        AppearanceFactory(claim=ClaimFactory(), video=interview, start_seconds=second)
        ArgumentFactory(claim=safer, video=interview, start_seconds=second)
    with CaptureQueriesContext(connection) as more:
        editor_client.get(url)
    assert len(more) == len(captured)
