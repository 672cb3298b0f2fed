"""The API's JSON renderer: DRF's document, its bytes written by orjson."""

import datetime
import decimal
import json
import uuid

import pytest
from rest_framework.renderers import JSONRenderer as DRFJSONRenderer

from claims import services
from config.renderers import JSONRenderer
from tests.factories import GroundedClaimFactory

ODD_TEXT = 'Line\u2028and paragraph\u2029separators, a \x01 control, "quotes", é and 😀'

DOCUMENTS = [
    {"text": ODD_TEXT, "list": [1, None, True, {"nested": []}], "count": 2**53},
    {
        "at": datetime.datetime(2026, 12, 8, 4, 5, 6, 789, tzinfo=datetime.UTC),
        "on": datetime.date(2026, 12, 8),
        "id": uuid.UUID("12345678-1234-5678-1234-567812345678"),
        "amount": decimal.Decimal("1.5"),
    },
    [{"rank": 0.0607927, "score": 0.5}],
]


@pytest.mark.parametrize("document", DOCUMENTS)
def test_it_writes_the_bytes_drf_writes(document):
    assert JSONRenderer().render(document) == DRFJSONRenderer().render(document)


def test_an_integer_past_64_bits_is_written_the_way_drf_writes_it():
    assert JSONRenderer().render({"big": 2**70}) == b'{"big":1180591620717411303424}'


def test_an_indented_rendering_is_drfs():
    rendered = JSONRenderer().render({"a": [1]}, "application/json; indent=2")

    assert rendered == b'{\n  "a": [\n    1\n  ]\n}'


@pytest.mark.django_db
def test_a_claims_text_reaches_the_client_whole_and_with_line_separators_escaped(client):
    claim = services.claim_publish(claim=GroundedClaimFactory(text=ODD_TEXT), actor=None)

    response = client.get(f"/api/v1/claims/{claim.pk}/")

    assert response.status_code == 200
    assert b"\\u2028" in response.content
    assert b"\xe2\x80\xa8" not in response.content
    assert json.loads(response.content)["text"] == ODD_TEXT
