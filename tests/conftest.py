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
