"""Constant cost: every page runs the same number of SQL queries however many claims,
appearances, arguments, links or results it shows, counted exactly as the API's are.

The rows are the API query-count tests' catalogue: lists of well over a page, a claim with one
or ten appearances and arguments, a note with one link or twenty.
"""

import pytest

from tests.api.test_query_counts import ROWS

pytestmark = pytest.mark.django_db

# (url, queries, what the page must show), each the small and the large case of one page.
PAGES = [
    # revision, claims, their appearances, their topics, videos, topics
    ("/", 6, "Bulk claim"),
    # revision, video (with channel), appearances (with claims and argument counts), arguments
    # with evidence in it, notes; then, when it has notes, their links and the link targets:
    # channels, notes
    ("/videos/smallVideo1/", 5, "Detail claim 1x1"),
    ("/videos/bulkVideo01/", 8, "Bulk claim 119"),
    # revision, claim (with merged_into), appearances, topics, arguments (with premises)
    ("/claims/{1x1}/", 5, "Detail claim 1x1"),
    ("/claims/{10x10}/", 5, "Detail claim 10x10"),
    # revision, speaker, count, the page of appearances (with claims and videos)
    ("/speakers/bulk_speaker/", 4, "Bulk claim"),
    ("/speakers/bulk_speaker/?page=3", 4, "Bulk claim"),
    # revision, note (with video), links, link targets: channels, notes; backlinks
    ("/notes/{note}/", 6, "Note"),
    ("/notes/{linked_note}/", 6, "Note"),
    # revision, link targets: channels, notes; topic, backlinks, count, page of claims, their
    # appearances, their topics
    ("/topics/small_topic/", 9, "Detail claim 1x1"),
    ("/topics/bulk_topic/", 9, "Bulk claim"),
    # revision, matching claims, matching notes
    ("/search/?q=bulk", 3, "Bulk claim"),
    ("/search/?q=bulk&page=5", 3, "Bulk"),
    ("/search/?q=detail&type=claim", 2, "Detail claim"),
]


@pytest.mark.parametrize(("url", "queries", "shows"), PAGES)
def test_page_query_count_does_not_grow_with_its_rows(
    client, catalogue, django_assert_num_queries, url, queries, shows
):
    url = url.format(
        **{
            "1x1": catalogue.claims[1, 1].pk,
            "10x10": catalogue.claims[10, 10].pk,
            "note": catalogue.note.slug,
            "linked_note": catalogue.linked_note.slug,
        }
    )

    with django_assert_num_queries(queries):
        response = client.get(url)

    assert response.status_code == 200
    assert shows in response.content.decode()


def test_the_big_pages_really_hold_many_rows(client, catalogue):
    video = client.get("/videos/bulkVideo01/").content.decode()
    topic = client.get("/topics/bulk_topic/").content.decode()

    assert video.count('class="timeline__mark ') > 3 * ROWS
    assert topic.count('class="claim-row"') == 20
