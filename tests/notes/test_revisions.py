"""The content revision's deferred bump: once per block, at its end, and only inside one."""

import pytest
from django.db import transaction

from notes import revisions
from notes.models import ContentRevision
from tests.factories import ChannelFactory

pytestmark = pytest.mark.django_db


def number() -> int:
    return ContentRevision.objects.get().number


def test_a_deferred_block_bumps_once_as_it_ends_whatever_it_changed():
    revisions.bump()
    before = number()

    with revisions.deferred():
        ChannelFactory.create_batch(3)
        with revisions.deferred():
            ChannelFactory()
        assert number() == before
    assert number() == before + 1


def test_a_deferred_block_that_changed_nothing_bumps_nothing():
    revisions.bump()
    before = number()

    with revisions.deferred():
        pass

    assert number() == before


def test_a_deferred_block_left_by_an_exception_bumps_nothing_and_forgets_its_changes():
    revisions.bump()
    before = number()

    with pytest.raises(RuntimeError), transaction.atomic(), revisions.deferred():
        ChannelFactory()
        raise RuntimeError("rolled back")
    with revisions.deferred():
        pass

    assert number() == before


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_deferred_block_outside_a_transaction_is_refused():
    with pytest.raises(RuntimeError, match="inside a transaction"), revisions.deferred():
        pass
