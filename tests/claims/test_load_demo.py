"""`manage.py load_demo`: the example vault, the curated claims and the demo editor."""

import re
from io import StringIO
from pathlib import Path

import pytest
from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command, load_command_class
from django.core.management.base import CommandError

from accounts.roles import is_contributor, is_editor, is_moderator
from claims.models import Appearance, Argument, Claim, Speaker, Stance, Status
from notes.importer import import_vault
from notes.models import Channel, Note, Topic, Video, WikiLink

DEMO_CLAIM = "Open-sourcing AI models makes them safer"
INTERVIEW = "oX7OduG1YmI"
INTERVIEW_NOTE = "open_versus_closed_ai_models_in_the_zuckerberg_interview"
VAULT = Path(settings.BASE_DIR) / "demo" / "vault"

pytestmark = pytest.mark.django_db


def load_demo(*args: str) -> str:
    out = StringIO()
    call_command("load_demo", *args, stdout=out)
    return out.getvalue()


def call_command_help(name: str) -> str:
    command = load_command_class("claims", name)
    return command.create_parser("manage.py", name).format_help()


def printed_password(output: str, label: str = "Password") -> str:
    return re.search(rf"^{label}: (\S+)$", output, re.MULTILINE).group(1)


def test_load_demo_creates_a_staff_editor_in_editors_with_the_printed_password():
    output = load_demo("--username", "demo-editor", "--site-url", "http://127.0.0.1:8765/")

    user = get_user_model().objects.get(username="demo-editor")
    assert user.is_staff is True
    assert user.is_superuser is False
    assert set(user.groups.values_list("name", flat=True)) == {"Contributors", "Editors"}
    assert user.check_password(printed_password(output))
    assert "Admin:    http://127.0.0.1:8765/admin/\n" in output
    assert "Username: demo-editor\n" in output


def test_load_demo_creates_a_staff_moderator_who_may_review_but_not_edit():
    output = load_demo("--moderator-username", "demo-moderator")

    user = get_user_model().objects.get(username="demo-moderator")
    assert (user.is_staff, user.is_superuser) == (True, False)
    assert set(user.groups.values_list("name", flat=True)) == {"Contributors", "Moderators"}
    assert user.check_password(printed_password(output, "Moderator password"))
    assert "Moderator username: demo-moderator\n" in output
    assert (is_contributor(user), is_moderator(user), is_editor(user)) == (True, True, False)
    assert user.has_perm("claims.view_claim")
    assert not user.has_perm("claims.change_claim")
    address = EmailAddress.objects.get(user=user)
    assert (address.email, address.verified, address.primary) == (
        "demo-moderator@demo.invalid",
        True,
        True,
    )


def test_load_demo_help_names_the_moderator():
    help_text = " ".join(call_command_help("load_demo").split())

    assert "a moderator in the Moderators group" in help_text
    assert "--moderator-username" in help_text
    assert "--moderator-password" in help_text


def test_load_demo_uses_a_given_password_and_refuses_a_weak_one():
    load_demo("--password", "correct-horse-battery")
    assert get_user_model().objects.get(username="editor").check_password("correct-horse-battery")

    with pytest.raises(CommandError, match="Choose another password"):
        load_demo("--password", "123")
    assert get_user_model().objects.get(username="editor").check_password("correct-horse-battery")


def test_load_demo_publishes_the_worked_example_with_arguments_at_their_seconds():
    load_demo()

    claim = Claim.objects.get(text=DEMO_CLAIM)
    assert claim.status == Status.PUBLISHED
    appearance = claim.appearances.get(video__youtube_id=INTERVIEW)
    assert (appearance.start_seconds, appearance.end_seconds) == (2525, 2603)
    assert appearance.note.slug == INTERVIEW_NOTE
    assert appearance.speaker.name == "Mark Zuckerberg"

    argument_for = claim.arguments.get(stance=Stance.FOR, video__youtube_id=INTERVIEW)
    assert argument_for.text.startswith("More people can inspect the code")
    assert (argument_for.start_seconds, argument_for.end_seconds) == (2534, 2561)
    assert argument_for.status == Status.PUBLISHED
    assert argument_for.premise.status == Status.PUBLISHED

    argument_against = claim.arguments.get(stance=Stance.AGAINST, video__youtube_id=INTERVIEW)
    assert argument_against.text.startswith("Keeping models closed")
    assert (argument_against.start_seconds, argument_against.end_seconds) == (2500, None)
    assert argument_against.status == Status.PUBLISHED


def test_load_demo_points_the_editor_at_the_worked_example():
    output = load_demo()

    claim = Claim.objects.get(text=DEMO_CLAIM)
    assert f"/admin/claims/claim/{claim.pk}/change/" in output
    assert output.splitlines()[-1].startswith("Demo loaded: 4 notes (4 created, 0 updated")


def test_load_demo_shows_editors_each_status():
    load_demo()

    statuses = dict(Claim.objects.values_list("text", "status"))
    assert sorted(set(statuses.values())) == ["draft", "published", "retracted"]
    assert list(statuses.values()).count(Status.PUBLISHED) == 5
    retracted = Claim.objects.get(status=Status.RETRACTED)
    assert retracted.retraction_reason.startswith("Not said in the interview")
    draft = Claim.objects.get(status=Status.DRAFT)
    assert set(draft.arguments.values_list("status", flat=True)) == {Status.DRAFT}


def test_load_demo_twice_leaves_the_same_counts():
    models = [Claim, Appearance, Argument, Speaker, Topic, Note, Video, Channel, WikiLink]

    def counts() -> dict[str, int]:
        found = {model.__name__: model.objects.count() for model in models}
        found["users"] = get_user_model().objects.count()
        return found

    first_output = load_demo()
    after_first = counts()
    second_output = load_demo()

    assert counts() == after_first
    assert after_first["Claim"] == 7
    assert "7 claims (7 loaded, 0 already there)" in first_output
    assert "4 notes (0 created, 0 updated, 4 unchanged); 7 claims (0 loaded, 7 already there)" in (
        second_output
    )
    assert second_output.rstrip().endswith(
        "editor 'editor' password reset; moderator 'moderator' password reset."
    )
    editor = get_user_model().objects.get(username="editor")
    assert editor.check_password(printed_password(second_output))
    moderator = get_user_model().objects.get(username="moderator")
    assert moderator.check_password(printed_password(second_output, "Moderator password"))


def test_demo_vault_imports_with_no_errors():
    report = import_vault([VAULT], extract=None)

    assert report.errors == []
    assert (report.files, report.created) == (4, 4)
    assert Video.objects.filter(youtube_id=INTERVIEW, channel__slug="cleoabram").exists()
    note_slugs = set(Note.objects.values_list("slug", flat=True))
    for note in Note.objects.all():
        targets = set(note.links.values_list("target_slug", flat=True))
        assert targets & (note_slugs - {note.slug}), f"{note.slug} links to no other note"
    channel_slugs = set(Channel.objects.values_list("slug", flat=True))
    unresolved = set(WikiLink.objects.values_list("target_slug", flat=True))
    unresolved -= note_slugs | channel_slugs
    assert {"ai_safety", "model_weights"} <= unresolved
