"""Roles as groups: who is a contributor, moderator or editor, and how one becomes one."""

from importlib import import_module

import pytest
from allauth.account.models import EmailAddress
from allauth.account.signals import email_confirmed
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser, Group, Permission
from django.core.management import call_command
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from rest_framework.response import Response
from rest_framework.test import APIRequestFactory, force_authenticate
from rest_framework.views import APIView

from accounts import roles
from accounts.permissions import IsActiveUser, IsContributor, IsModerator
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PERSONAS = [
    "contributor",
    "other_contributor",
    "unconfirmed",
    "deactivated",
    "moderator",
    "editor",
    "superuser",
]
#: (is_contributor, is_moderator, is_editor) of each persona.
ROLES = {
    "anonymous": (False, False, False),
    "contributor": (True, False, False),
    "other_contributor": (True, False, False),
    "unconfirmed": (False, False, False),
    "deactivated": (False, False, False),
    "moderator": (True, True, False),
    "editor": (True, True, True),
    "superuser": (True, True, True),
}


def persona_user(request, persona):
    return AnonymousUser() if persona == "anonymous" else request.getfixturevalue(persona)


@pytest.mark.parametrize("persona", ["anonymous", *PERSONAS])
def test_each_persona_has_its_roles(request, persona):
    user = persona_user(request, persona)

    found = (roles.is_contributor(user), roles.is_moderator(user), roles.is_editor(user))

    assert found == ROLES[persona]


def test_nobody_has_a_role():
    assert (roles.is_contributor(None), roles.is_moderator(None), roles.is_editor(None)) == (
        False,
        False,
        False,
    )


def test_the_groups_are_the_contracts_names():
    assert (roles.CONTRIBUTORS, roles.MODERATORS, roles.EDITORS) == (
        "Contributors",
        "Moderators",
        "Editors",
    )
    assert set(Group.objects.values_list("name", flat=True)) == {
        "Contributors",
        "Moderators",
        "Editors",
    }


def test_moderators_view_all_content_and_change_none():
    granted = set(Group.objects.get(name=roles.MODERATORS).permissions.all())

    viewable = Permission.objects.filter(
        content_type__app_label__in=["notes", "claims"], codename__startswith="view_"
    )
    assert granted == set(viewable)
    assert {"view_claim", "view_historicalclaim", "view_note", "view_video"} <= {
        permission.codename for permission in granted
    }


def test_contributors_hold_no_permission_of_their_own():
    assert Group.objects.get(name=roles.CONTRIBUTORS).permissions.count() == 0


def test_confirming_an_address_of_an_inactive_user_grants_nothing():
    user = UserFactory(username="sleeper", is_active=False)
    address = EmailAddress.objects.create(user=user, email="sleeper@example.org", primary=True)

    email_confirmed.send(sender=EmailAddress, request=None, email_address=address)

    assert not user.groups.exists()


def test_createsuperuser_makes_a_contributor(monkeypatch):
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "a-long-admin-password")

    call_command("createsuperuser", interactive=False, username="admin", email="a@example.org")

    admin = get_user_model().objects.get(username="admin")
    assert list(admin.groups.values_list("name", flat=True)) == [roles.CONTRIBUTORS]


def test_the_roles_migration_makes_every_existing_active_user_a_contributor():
    Group.objects.filter(name__in=[roles.CONTRIBUTORS, roles.MODERATORS]).delete()
    active = UserFactory(username="old_editor")
    inactive = UserFactory(username="old_ghost", is_active=False)
    migration = import_module("accounts.migrations.0001_roles")
    state = MigrationLoader(connection).project_state(("accounts", "0001_roles"))

    migration.create_roles(state.apps, schema_editor=None)

    assert roles.is_contributor(active)
    assert not inactive.groups.exists()
    assert Group.objects.get(name=roles.MODERATORS).permissions.count() == (
        Permission.objects.filter(
            content_type__app_label__in=["notes", "claims"], codename__startswith="view_"
        ).count()
    )


# The DRF permissions -------------------------------------------------------------------------


class Probe(APIView):
    def get(self, request):
        return Response({"ok": True})


def answer_of(permission, user) -> int:
    view = Probe.as_view(permission_classes=[permission])
    request = APIRequestFactory().get("/probe/")
    if user is not None:
        force_authenticate(request, user=user)
    return view(request).status_code


@pytest.mark.parametrize("persona", ["anonymous", *PERSONAS])
def test_permission_classes_answer_401_without_credentials_and_403_without_the_role(
    request, persona
):
    user = None if persona == "anonymous" else request.getfixturevalue(persona)
    contributor_role, moderator_role, _ = ROLES[persona]

    def expected(allowed: bool) -> int:
        return 200 if allowed else (401 if user is None else 403)

    assert answer_of(IsContributor, user) == expected(contributor_role)
    assert answer_of(IsModerator, user) == expected(moderator_role)
    assert answer_of(IsActiveUser, user) == expected(user is not None and user.is_active)
