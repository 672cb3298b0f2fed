"""`manage.py load_demo`: the example vault, its curated claims, an editor and a moderator.

The notes come in through the vault importer and the claims through the claims services, so
the demo is built exactly as an editor's own work would be, history rows included.
"""

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import yaml
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, Group
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.urls import reverse

from accounts import roles
from accounts import services as account_services
from claims import services
from claims.models import Argument, Claim, Stance, Status
from notes.importer import import_vault
from notes.models import Note, Video

DEMO_DIR = Path(settings.BASE_DIR) / "demo"
#: The demo accounts' confirmed addresses: a domain that never receives mail.
DEMO_EMAIL_DOMAIN = "demo.invalid"


class Command(BaseCommand):
    help = (
        "Load the demo: import demo/vault, load the curated claims of demo/claims.yaml (claims "
        "already there are skipped), and create a staff editor in the Editors group and a "
        "moderator in the Moderators group (staff, to see the queue in the admin), or reset "
        "their passwords. Both are contributors with a confirmed e-mail address "
        f"(USERNAME@{DEMO_EMAIL_DOMAIN}). Prints where to log in and with which credentials."
    )

    def add_arguments(self, parser):
        parser.add_argument("--username", default="editor", help="The demo editor's username.")
        parser.add_argument(
            "--password", help="The demo editor's password (default: a new random one)."
        )
        parser.add_argument(
            "--moderator-username", default="moderator", help="The demo moderator's username."
        )
        parser.add_argument(
            "--moderator-password",
            help="The demo moderator's password (default: a new random one).",
        )
        parser.add_argument(
            "--site-url",
            default="http://127.0.0.1:8000",
            help="Where the site will be served, for the printed links.",
        )

    def handle(
        self,
        *args,
        username: str,
        password: str | None,
        moderator_username: str,
        moderator_password: str | None,
        site_url: str,
        **options,
    ):
        report = import_vault([DEMO_DIR / "vault"], extract=None)
        if report.errors:
            for message in report.errors:
                self.stderr.write(message)
            raise CommandError(f"The demo vault did not import cleanly: {report.summary()}")

        with transaction.atomic():
            password = password or secrets.token_urlsafe(12)
            editor, created = staff_set_up(username=username, password=password, role=roles.EDITORS)
            moderator_password = moderator_password or secrets.token_urlsafe(12)
            moderator, moderator_created = staff_set_up(
                username=moderator_username, password=moderator_password, role=roles.MODERATORS
            )
            claims, loaded = claims_load(DEMO_DIR / "claims.yaml", actor=editor)

        site_url = site_url.rstrip("/")
        featured = claims[0]
        claim_url = site_url + reverse("admin:claims_claim_change", args=[featured.pk])
        self.stdout.write(f"Admin:    {site_url}{reverse('admin:index')}")
        self.stdout.write(f"Username: {editor.get_username()}")
        self.stdout.write(f"Password: {password}")
        self.stdout.write(f"Moderator username: {moderator.get_username()}")
        self.stdout.write(f"Moderator password: {moderator_password}")
        self.stdout.write(f'Look at:  "{featured.text}" {claim_url}')
        self.stdout.write(
            f"Demo loaded: {report.files} notes ({report.created} created, {report.updated} "
            f"updated, {report.unchanged} unchanged); {len(claims)} claims ({loaded} loaded, "
            f"{len(claims) - loaded} already there); editor '{editor.get_username()}' "
            f"{'created' if created else 'password reset'}; moderator "
            f"'{moderator.get_username()}' {'created' if moderator_created else 'password reset'}."
        )


def staff_set_up(*, username: str, password: str, role: str) -> tuple[AbstractBaseUser, bool]:
    """A staff member in the group of `role` with `password`, created if need be.

    Like every account of the site, it has a confirmed e-mail address, so it may log in on the
    site's own pages too, and is a contributor.
    """
    if not Group.objects.filter(name=role).exists():
        raise CommandError(f"There is no {role} group yet: run `manage.py migrate`.")
    user, created = get_user_model().objects.get_or_create(username=username)
    try:
        validate_password(password, user)
    except ValidationError as error:
        raise CommandError(f"Choose another password: {' '.join(error.messages)}") from None
    user.set_password(password)
    user.is_staff = True
    user.is_active = True
    user.save()
    account_services.role_grant(user=user, role=role)
    try:
        account_services.email_confirm(user=user, email=f"{username}@{DEMO_EMAIL_DOMAIN}")
    except ValidationError as error:
        raise CommandError(f"Choose another username: {' '.join(error.messages)}") from None
    return user, created


def claims_load(path: Path, *, actor: AbstractBaseUser) -> tuple[list[Claim], int]:
    """Every claim of the file, in its order, and how many of them were new.

    A claim whose text is already in the database is taken as loaded and left alone, so a
    second run changes nothing, and an editor's later changes to a demo claim survive it.
    """
    entries = yaml.safe_load(path.read_text(encoding="utf-8"))["claims"]
    by_key: dict[str, Claim] = {}
    new: list[tuple[dict, Claim]] = []
    for entry in entries:
        claim = Claim.objects.filter(text=entry["text"]).first()
        if claim is None:
            claim = services.claim_create(
                text=entry["text"], topics=entry.get("topics", []), actor=actor
            )
            new.append((entry, claim))
        by_key[entry["key"]] = claim

    published_arguments: dict[str, list[Argument]] = {}
    for entry, claim in new:
        with _about(path, entry):
            published_arguments[entry["key"]] = _fill_in(claim, entry, by_key=by_key, actor=actor)
    # Claims first: a published argument shows its premise, so it must rest on a public claim.
    for entry, claim in new:
        with _about(path, entry):
            _give_status(claim, entry, actor=actor)
    for entry, _claim in new:
        with _about(path, entry):
            for argument in published_arguments[entry["key"]]:
                services.argument_publish(argument=argument, actor=actor)
    return list(by_key.values()), len(new)


@contextmanager
def _about(path: Path, entry: dict) -> Iterator[None]:
    """Say which claim of the file a bad value belongs to."""
    try:
        yield
    except (KeyError, ValueError, ValidationError, services.TransitionError) as error:
        raise CommandError(f"{path}: claim {entry['key']!r}: {error!r}") from None


def _fill_in(claim: Claim, entry: dict, *, by_key: dict[str, Claim], actor) -> list[Argument]:
    """Give `claim` its appearances and arguments; return the arguments to publish."""
    for item in entry.get("appearances", []):
        services.appearance_create(
            claim=claim,
            video=_video(item["video"]),
            start_seconds=item["start_seconds"],
            end_seconds=item.get("end_seconds"),
            speaker=_speaker(item.get("speaker"), actor=actor),
            quote=item.get("quote", ""),
            note=_note(item["note"]) if item.get("note") else None,
            actor=actor,
        )

    status = Status(entry.get("status", Status.PUBLISHED))
    to_publish = []
    for item in entry.get("arguments", []):
        argument = services.argument_create(
            claim=claim,
            stance=Stance(item["stance"]),
            text=item["text"],
            video=_video(item["video"]) if item.get("video") else None,
            start_seconds=item.get("start_seconds"),
            end_seconds=item.get("end_seconds"),
            source_url=item.get("source_url", ""),
            speaker=_speaker(item.get("speaker"), actor=actor),
            premise=by_key[item["premise"]] if item.get("premise") else None,
            actor=actor,
        )
        if Status(item.get("status", status)) == Status.PUBLISHED:
            to_publish.append(argument)
    return to_publish


def _give_status(claim: Claim, entry: dict, *, actor) -> None:
    status = Status(entry.get("status", Status.PUBLISHED))
    if status in (Status.PUBLISHED, Status.RETRACTED):
        services.claim_publish(claim=claim, actor=actor)
    if status == Status.RETRACTED:
        # Only what was public can be retracted: the demo's retracted claim was published once.
        services.claim_retract(claim=claim, actor=actor, reason=entry["retraction_reason"])


def _video(youtube_id: str) -> Video:
    video = Video.objects.filter(youtube_id=youtube_id).first()
    if video is None:
        raise ValueError(f"no video {youtube_id}: is there a note about it in demo/vault?")
    return video


def _note(slug: str) -> Note:
    note = Note.objects.filter(slug=slug).first()
    if note is None:
        raise ValueError(f"no note {slug}: is it in demo/vault, with that title?")
    return note


def _speaker(name: str | None, *, actor):
    return services.speaker_get_or_create(name=name, actor=actor) if name else None
