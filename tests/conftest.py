"""Personas shared by the whole suite: who is asking, and with which rights.

Each persona is a user (`contributor`, …) and an API client authenticated as that user
(`contributor_api`, …, by `force_authenticate`); `anonymous` is a client with no credentials.
Only `contributor`, `other_contributor`, `moderator`, `editor` and `superuser` are contributors
(`accounts.roles.is_contributor`); `unconfirmed` never confirmed an address and `deactivated`
was switched off (`is_active=False`) after confirming one.
"""

import pytest
from rest_framework.test import APIClient

from tests.factories import (
    ContributorFactory,
    EditorFactory,
    ModeratorFactory,
    UnconfirmedUserFactory,
    UserFactory,
)


def _api_as(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user=user)
    return client


@pytest.fixture
def anonymous() -> APIClient:
    """An API client with no credentials."""
    return APIClient()


@pytest.fixture
def contributor(db):
    """A registered user with a confirmed e-mail address and no staff rights."""
    return ContributorFactory(username="contributor")


@pytest.fixture
def other_contributor(db):
    """Another contributor, who owns nothing of `contributor`'s."""
    return ContributorFactory(username="other_contributor")


@pytest.fixture
def unconfirmed(db):
    """Signed up, e-mail address not confirmed: not a contributor."""
    return UnconfirmedUserFactory(username="unconfirmed")


@pytest.fixture
def deactivated(db):
    """A contributor whose account was deactivated, still in the Contributors group."""
    user = ContributorFactory(username="deactivated")
    user.is_active = False
    user.save(update_fields=["is_active"])
    return user


@pytest.fixture
def moderator(db):
    """A contributor in the Moderators group (staff, without editing rights)."""
    return ModeratorFactory(username="moderator")


@pytest.fixture
def editor(db):
    """A staff member of the Editors group."""
    return EditorFactory(username="editor")


@pytest.fixture
def superuser(db):
    return UserFactory(username="root", is_staff=True, is_superuser=True)


@pytest.fixture
def contributor_api(contributor) -> APIClient:
    return _api_as(contributor)


@pytest.fixture
def other_contributor_api(other_contributor) -> APIClient:
    return _api_as(other_contributor)


@pytest.fixture
def unconfirmed_api(unconfirmed) -> APIClient:
    return _api_as(unconfirmed)


@pytest.fixture
def deactivated_api(deactivated) -> APIClient:
    return _api_as(deactivated)


@pytest.fixture
def moderator_api(moderator) -> APIClient:
    return _api_as(moderator)


@pytest.fixture
def editor_api(editor) -> APIClient:
    return _api_as(editor)


@pytest.fixture
def superuser_api(superuser) -> APIClient:
    return _api_as(superuser)


@pytest.fixture
def editor_client(client, editor):
    client.force_login(editor)
    return client


@pytest.fixture
def contributor_client(client, contributor):
    client.force_login(contributor)
    return client


def pytest_collection_modifyitems(config, items):
    """Refuse a transactional test without serialized rollback.

    A plain transactional test's flush makes the content types and permissions anew under new
    ids; the next test with `serialized_rollback=True` on the same worker then fails to restore
    its saved rows over them. Which tests share a worker changes from run to run, so the
    mixture fails now and then rather than always: one rule for all keeps the suite stable.
    """
    for item in items:
        marker = item.get_closest_marker("django_db")
        if (
            marker
            and marker.kwargs.get("transaction")
            and not marker.kwargs.get("serialized_rollback")
        ):
            raise pytest.UsageError(
                f"{item.nodeid}: a transactional test needs serialized_rollback=True too"
            )
