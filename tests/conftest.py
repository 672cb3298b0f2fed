"""Personas shared by the whole suite: who is asking, and with which rights."""

import pytest

from tests.factories import EditorFactory, UserFactory


@pytest.fixture
def contributor(db):
    """A registered user with no staff rights."""
    return UserFactory(username="contributor")


@pytest.fixture
def editor(db):
    """A staff member of the Editors group."""
    return EditorFactory(username="editor")


@pytest.fixture
def superuser(db):
    return UserFactory(username="root", is_staff=True, is_superuser=True)


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
