"""The admin's lists at scale: a page costs the same queries whatever its size, counts are
estimated only past the threshold, and search goes through the full-text index."""

import pytest
from django.contrib import admin
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from claims.models import Appearance, Argument, Claim, Stance, Status
from notes import admin_scale
from notes.admin_scale import EstimatedCountPaginator, estimated_count
from notes.models import Note, Video
from tests.factories import (
    AppearanceFactory,
    ArgumentFactory,
    ChannelFactory,
    ClaimFactory,
    NoteFactory,
    PublishedClaimFactory,
    TopicFactory,
    VideoFactory,
    WikiLinkFactory,
)

pytestmark = pytest.mark.django_db

postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="estimates and the index are PostgreSQL's"
)

SCALED = [Claim, Argument, Appearance, Video, Note]


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    return lambda: django_capture_on_commit_callbacks(execute=True)


def rows(count: int) -> None:
    """`count` rows of every scaled model, each claim with an appearance and arguments."""
    for number in range(count):
        claim = PublishedClaimFactory(text=f"Claim {number} about transformers")
        video = VideoFactory()
        AppearanceFactory(claim=claim, video=video, quote=f"quote {number}")
        ArgumentFactory(claim=claim, stance=Stance.FOR)
        ArgumentFactory(claim=claim, stance=Stance.AGAINST)
        note = NoteFactory(video=video)
        WikiLinkFactory(note=note)


def changelist_queries(client, model, monkeypatch, per_page: int, query: str = "") -> list[str]:
    monkeypatch.setattr(admin.site._registry[model], "list_per_page", per_page)
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    with CaptureQueriesContext(connection) as captured:
        response = client.get(f"{url}?{query}")
    assert response.status_code == 200
    return [entry["sql"] for entry in captured.captured_queries]


@pytest.mark.parametrize("model", SCALED, ids=lambda model: model.__name__)
def test_a_list_page_costs_the_same_queries_whatever_its_size(
    editor_client, monkeypatch, committed, model
):
    with committed():
        rows(6)

    small = changelist_queries(editor_client, model, monkeypatch, per_page=2)
    large = changelist_queries(editor_client, model, monkeypatch, per_page=5)

    assert len(small) == len(large)


@pytest.mark.parametrize("model", SCALED, ids=lambda model: model.__name__)
def test_a_list_never_counts_the_unfiltered_total_nor_reads_search_vectors(
    editor_client, monkeypatch, committed, model
):
    with committed():
        rows(3)

    queries = changelist_queries(editor_client, model, monkeypatch, per_page=2)

    counts = [sql for sql in queries if "COUNT(*)" in sql.upper()]
    # The page's count only (exact below the threshold): no second, unfiltered total.
    assert len(counts) <= 1
    assert not any("search_vector" in sql.split(" FROM ")[0] for sql in queries)


def test_the_claim_list_shows_each_page_rows_counts(editor_client, monkeypatch):
    claim = PublishedClaimFactory(text="Counted claim")
    AppearanceFactory(claim=claim)
    AppearanceFactory(claim=claim)
    ArgumentFactory(claim=claim, stance=Stance.FOR)
    for _ in range(3):
        ArgumentFactory(claim=claim, stance=Stance.AGAINST)
    PublishedClaimFactory(text="Uncounted claim")

    response = editor_client.get(reverse("admin:claims_claim_changelist"))

    rows_by_text = {row.text: row for row in response.context["cl"].result_list}
    counted = rows_by_text["Counted claim"]
    assert (counted.appearance_count, counted.for_count, counted.against_count) == (2, 1, 3)
    uncounted = rows_by_text["Uncounted claim"]
    assert (uncounted.appearance_count, uncounted.for_count, uncounted.against_count) == (0, 0, 0)


def test_the_note_list_shows_each_note_links(editor_client):
    note = NoteFactory(title="Linked")
    WikiLinkFactory(note=note)
    WikiLinkFactory(note=note)

    response = editor_client.get(reverse("admin:notes_note_changelist"))

    (row,) = response.context["cl"].result_list
    assert row.link_count == 2


# Counts --------------------------------------------------------------------------------------


def test_below_the_threshold_the_count_is_exact(committed):
    with committed():
        for number in range(3):
            ClaimFactory(text=f"Claim {number}")

    assert EstimatedCountPaginator(Claim.objects.all(), 2).count == 3


@postgres_only
def test_past_the_threshold_an_unfiltered_list_counts_by_the_table_statistics(monkeypatch):
    Claim.objects.bulk_create(Claim(text=f"Claim {n}") for n in range(30))
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE claims_claim")
    # Rows added after the statistics: an estimate does not see them, a COUNT would.
    Claim.objects.bulk_create(Claim(text=f"Later claim {n}") for n in range(5))
    monkeypatch.setattr(admin_scale, "ESTIMATE_THRESHOLD", 10)

    with CaptureQueriesContext(connection) as captured:
        count = EstimatedCountPaginator(Claim.objects.order_by("-id"), 10).count

    assert count == 30
    assert not any("COUNT(" in entry["sql"].upper() for entry in captured.captured_queries)
    monkeypatch.setattr(admin_scale, "ESTIMATE_THRESHOLD", 31)
    assert EstimatedCountPaginator(Claim.objects.order_by("-id"), 10).count == 35


@postgres_only
def test_past_the_threshold_a_filtered_list_counts_by_the_planner_estimate(monkeypatch):
    Claim.objects.bulk_create(
        Claim(text=f"Claim {n}", status=Status.PUBLISHED if n % 2 else Status.DRAFT)
        for n in range(40)
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE claims_claim")
    published = Claim.objects.filter(status=Status.PUBLISHED)
    monkeypatch.setattr(admin_scale, "ESTIMATE_THRESHOLD", 1)

    with CaptureQueriesContext(connection) as captured:
        count = EstimatedCountPaginator(published, 10).count

    assert count == estimated_count(published)
    assert 10 <= count <= 40
    assert not any("COUNT(" in entry["sql"].upper() for entry in captured.captured_queries)


@pytest.mark.skipif(connection.vendor == "postgresql", reason="SQLite has no estimates")
def test_on_sqlite_every_count_is_exact(monkeypatch):
    ClaimFactory()
    monkeypatch.setattr(admin_scale, "ESTIMATE_THRESHOLD", 0)

    assert estimated_count(Claim.objects.all()) is None
    assert EstimatedCountPaginator(Claim.objects.all(), 10).count == 1


# Search --------------------------------------------------------------------------------------


def changelist_rows(client, model, query: str) -> list:
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    response = client.get(url, {"q": query})
    assert response.status_code == 200
    return list(response.context["cl"].result_list)


def test_claim_search_finds_drafts_by_stem_quote_and_id_without_duplicates(
    editor_client, committed
):
    with committed():
        draft = ClaimFactory(text="A transformer reads the sentence")
        quoted = PublishedClaimFactory(text="Attention wins")
        AppearanceFactory(claim=quoted, quote="the transformer wins")
        AppearanceFactory(claim=quoted, quote="transformer again")
        other = PublishedClaimFactory(text="Phones take photos")

    found = changelist_rows(editor_client, Claim, "transformers")

    assert sorted(claim.pk for claim in found) == sorted([draft.pk, quoted.pk])
    assert changelist_rows(editor_client, Claim, str(other.pk)) == [other]


def test_argument_and_appearance_search_go_through_their_claims_index(editor_client, committed):
    with committed():
        claim = PublishedClaimFactory(text="A transformer reads the sentence")
        appearance = AppearanceFactory(claim=claim)
        argument = ArgumentFactory(claim=claim)
        AppearanceFactory(claim=PublishedClaimFactory(text="Phones take photos"))

    assert changelist_rows(editor_client, Appearance, "transformers") == [appearance]
    assert changelist_rows(editor_client, Argument, "transformers") == [argument]


def test_note_search_finds_by_title_and_body(editor_client, committed):
    with committed():
        by_title = NoteFactory(title="Transformers explained", body_markdown="Attention.")
        by_body = NoteFactory(title="Architectures", body_markdown="Transformers everywhere.")
        NoteFactory(title="Phones", body_markdown="Photos.")

    found = changelist_rows(editor_client, Note, "transformers")

    assert {note.pk for note in found} == {by_title.pk, by_body.pk}


@pytest.mark.parametrize("model", SCALED, ids=lambda model: model.__name__)
def test_list_search_is_refused_to_a_contributor(contributor_client, model):
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")

    response = contributor_client.get(url, {"q": "transformers"})

    assert response.status_code in (302, 403)


def test_claim_search_and_autocomplete_match_words_being_typed(editor_client, committed):
    with committed():
        claim = ClaimFactory(text="A transformer reads the sentence")
        PublishedClaimFactory(text="Phones take photos")

    assert changelist_rows(editor_client, Claim, "transf sent") == [claim]
    response = editor_client.get(
        reverse("admin:autocomplete"),
        {
            "app_label": "claims",
            "model_name": "appearance",
            "field_name": "claim",
            "term": "transfo",
        },
    )
    assert response.status_code == 200
    assert [result["id"] for result in response.json()["results"]] == [str(claim.pk)]


@pytest.mark.parametrize(
    "model, factory",
    [(Claim, ClaimFactory), (Argument, ArgumentFactory), (Appearance, AppearanceFactory)],
    ids=lambda value: getattr(value, "__name__", ""),
)
def test_big_lists_are_newest_first_by_their_primary_key(editor_client, model, factory):
    older, newer = factory(), factory()

    rows = [row.pk for row in changelist_rows(editor_client, model, "")]

    assert rows == [newer.pk, older.pk]


@pytest.mark.parametrize("term", ["²", "٣", "99999999999999999999"])
def test_claim_search_for_a_digit_that_is_no_number_answers(editor_client, term):
    response = editor_client.get("/admin/claims/claim/", {"q": term})

    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == []


# Filters on many-valued relations ------------------------------------------------------------


def test_the_topic_and_channel_filters_list_each_claim_once_without_distinct(editor_client):
    channel, elsewhere = ChannelFactory(), ChannelFactory()
    topic, other_topic = TopicFactory(), TopicFactory()
    twice = PublishedClaimFactory(text="Made twice in one channel")
    twice.topics.add(topic, other_topic)
    AppearanceFactory(claim=twice, video=VideoFactory(channel=channel))
    AppearanceFactory(claim=twice, video=VideoFactory(channel=channel))
    once = PublishedClaimFactory(text="Made once elsewhere")
    once.topics.add(other_topic)
    AppearanceFactory(claim=once, video=VideoFactory(channel=elsewhere))
    url = reverse("admin:claims_claim_changelist")

    def listed(query: str) -> tuple[list[int], list[str]]:
        with CaptureQueriesContext(connection) as captured:
            response = editor_client.get(f"{url}?{query}")
        assert response.status_code == 200
        sqls = [entry["sql"] for entry in captured.captured_queries]
        return [claim.pk for claim in response.context["cl"].result_list], sqls

    by_channel, channel_sql = listed(f"appearances__video__channel__id__exact={channel.pk}")
    by_topic, topic_sql = listed(f"topics__id__exact={topic.pk}")
    by_both, _ = listed(
        f"topics__id__exact={other_topic.pk}&appearances__video__channel__id__exact={elsewhere.pk}"
    )
    by_other_topic, _ = listed(f"topics__id__exact={other_topic.pk}")

    assert (by_channel, by_topic, by_both) == ([twice.pk], [twice.pk], [once.pk])
    assert by_other_topic == [once.pk, twice.pk]
    # The page's counts count distinct rows of a page; nothing selects distinct claims.
    listing = [sql for sql in channel_sql + topic_sql if '"claims_claim"' in sql]
    assert listing and not [sql for sql in listing if "SELECT DISTINCT" in sql.upper()]
    # The choices: every topic and channel, by name.
    response = editor_client.get(url)
    html = response.content.decode()
    assert f"?topics__id__exact={topic.pk}" in html and topic.name in html
    assert f"?appearances__video__channel__id__exact={channel.pk}" in html


@pytest.mark.parametrize(
    "parameter", ["topics__id__exact", "appearances__video__channel__id__exact"]
)
def test_a_topic_or_channel_that_is_not_an_id_is_refused_not_a_500(editor_client, parameter):
    # Even with no topic nor channel to choose from: the parameter is never ignored.
    url = reverse("admin:claims_claim_changelist")

    response = editor_client.get(f"{url}?{parameter}=nope")

    # Django's answer to a bad filter: back to the list, flagged as an error.
    assert response.status_code == 302
    assert response["Location"].endswith("?e=1")
