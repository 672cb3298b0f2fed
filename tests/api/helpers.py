"""Small helpers the API tests share: absolute addresses and timestamps as the API writes them."""

from datetime import UTC, datetime

SERVER = "http://testserver"
API = f"{SERVER}/api/v1"


def iso(moment: datetime) -> str:
    """A datetime as DRF renders it: ISO 8601 in UTC, with `Z`."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def assert_error(response, status: int, code: str, errors: dict | None = None) -> dict:
    """The response is the API's one error shape with this status and code; returns the body."""
    body = response.json()
    assert response.status_code == status, body
    assert response["Content-Type"].split(";")[0] in ("application/json", "application/ld+json")
    assert set(body) == {"status", "code", "detail", "errors"}
    assert body["status"] == status
    assert body["code"] == code
    assert isinstance(body["detail"], str) and body["detail"]
    if errors is not None:
        assert body["errors"] == errors
    return body
