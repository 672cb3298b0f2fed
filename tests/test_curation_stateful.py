"""Editors at work, in any order: no sequence of writes makes a draft public.

A hypothesis state machine drives random sequences of claim and argument moves (create,
publish, retract, restore, discard, merge, edit, move an appearance or an argument, revert to
any version) through the services and through the admin's own forms and actions, as an editor.
After each move it checks the outcome against the spec's state machine, and after every step:

- the public API (claim list and detail, argument list, search, video detail) shows exactly
  the published claims and arguments, a retracted claim only by id and with its reason, and
  never the text of a draft or discarded claim or of an unpublished argument;
- every published claim has an appearance, every retracted item a reason;
- every change left a history row naming the editor and a reason, and each object's latest
  history row is the object as it is.
- versions never go back, and every object a step changed is at a higher version after it.

Each example runs in a savepoint rolled back after it; the on-commit work of each step (the
search index on PostgreSQL) runs at the end of the step, as a commit would run it.
"""

import functools
import itertools

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.test import Client, TestCase
from django.urls import reverse
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    multiple,
    precondition,
    rule,
    run_state_machine_as_test,
)

from claims import services
from claims.models import WAS_PUBLIC, Appearance, Argument, Claim, Stance, Status
from notes import revisions
from tests.factories import VideoFactory

pytestmark = pytest.mark.django_db

#: Examples, and most steps in one: about 180 steps in all, well under a minute on either database.
MAX_EXAMPLES = 10
STEPS = 25

MOVES = {
    "publish": (Status.DRAFT, Status.PUBLISHED),
    "discard": (Status.DRAFT, Status.DISCARDED),
    "retract": (Status.PUBLISHED, Status.RETRACTED),
    "restore": (Status.RETRACTED, Status.PUBLISHED),
}
NEEDS_REASON = {"retract", "restore"}
#: The fields each history row must agree on with the object it records.
RECORDED = {
    Claim: ["text", "status", "retraction_reason", "published_at", "merged_into_id"],
    Appearance: ["claim_id", "video_id", "start_seconds", "quote"],
    Argument: ["claim_id", "stance", "text", "status", "retraction_reason", "premise_id"],
}
INLINES = {
    "appearances-TOTAL_FORMS": "0",
    "appearances-INITIAL_FORMS": "0",
    "arguments-TOTAL_FORMS": "0",
    "arguments-INITIAL_FORMS": "0",
    "arguments-2-TOTAL_FORMS": "0",
    "arguments-2-INITIAL_FORMS": "0",
}
#: The prefix of each stance's inline on the claim page.
STANCE_PREFIX = {Stance.FOR: "arguments", Stance.AGAINST: "arguments-2"}

#: The moves each state allows (a discarded item has none: both are refused).
NEXT = {
    Status.DRAFT: ("publish", "discard"),
    Status.PUBLISHED: ("retract", "retract"),
    Status.RETRACTED: ("restore", "restore"),
    Status.DISCARDED: ("publish", "restore"),
}

reasons = st.sampled_from(["", "  ", "Checked against the video."])
likely_reasons = st.sampled_from(["Checked against the video.", "Misquoted.", ""])
paths = st.sampled_from(["service", "admin"])


def step(method):
    """Run a step's on-commit work at its end, as the commit of a request would."""

    @functools.wraps(method)
    def run(self, **kwargs):
        Curation.steps_run += 1
        with TestCase.captureOnCommitCallbacks(execute=True):
            return method(self, **kwargs)

    return run


def refused(call) -> bool:
    """Call a service; whether it refused."""
    try:
        call()
    except (services.TransitionError, ValidationError):
        return True
    return False


class Curation(RuleBasedStateMachine):
    claims = Bundle("claims")
    arguments = Bundle("arguments")
    examples_run = 0
    steps_run = 0

    def __init__(self, editor):
        super().__init__()
        Curation.examples_run += 1
        self._savepoint = transaction.atomic()
        self._savepoint.__enter__()
        # Responses are cached by content revision, and the rolled-back revision numbers of
        # the previous example come round again.
        cache.clear()
        revisions.forget()
        self.editor = editor
        self.admin = Client()
        self.admin.force_login(editor)
        self.public = Client()
        self.videos = [VideoFactory(), VideoFactory()]
        self.numbers = itertools.count(1)
        self.seen = {}
        self.versions = {}

    def teardown(self):
        transaction.set_rollback(True)
        self._savepoint.__exit__(None, None, None)

    # Admin write paths ---------------------------------------------------------------------

    def admin_action(self, model: str, action: str, pks, **extra) -> None:
        data = {"action": action, ACTION_CHECKBOX_NAME: list(pks), **extra}
        response = self.admin.post(reverse(f"admin:claims_{model}_changelist"), data)
        assert response.status_code in (200, 302), response.status_code

    def admin_form(self, url: str, data: dict) -> bool:
        """Post a change or add form; whether it was saved (else it shows its errors)."""
        response = self.admin.post(url, data)
        assert response.status_code in (200, 302), response.status_code
        return response.status_code == 302

    # Claims --------------------------------------------------------------------------------

    @initialize(target=claims, path=paths)
    @step
    def a_published_claim(self, path):
        """Every example starts with public content, so that retracting, restoring and merging
        into a published claim are a few steps away."""
        claim = self.new_claim(grounded=True, path=path)
        self.claim_move(claim, "publish", "", path)
        return claim

    @initialize(target=arguments, path=paths)
    @step
    def a_published_argument(self, path):
        claim = self.new_claim(grounded=True, path=path)
        self.claim_move(claim, "publish", "", path)
        argument = services.argument_create(
            claim=Claim(pk=claim),
            stance=Stance.FOR,
            text=f"Reason [{next(self.numbers):03d}] holds.",
            source_url="https://example.org/",
            actor=self.editor,
        )
        self.argument_move(argument.pk, "publish", "", path)
        return argument.pk

    @rule(target=claims, grounded=st.booleans(), path=paths)
    @step
    def create_claim(self, grounded, path):
        return self.new_claim(grounded=grounded, path=path)

    def new_claim(self, *, grounded: bool, path: str) -> int:
        number = next(self.numbers)
        text = f"Statement [{number:03d}] is made."
        video = self.videos[number % 2]
        if path == "admin":
            data = {**INLINES, "text": text}
            if grounded:
                data |= {
                    "appearances-TOTAL_FORMS": "1",
                    "appearances-0-video": str(video.pk),
                    "appearances-0-start_seconds": str(number),
                    "appearances-0-quote": f"quote q{number:03d}q",
                }
            assert self.admin_form(reverse("admin:claims_claim_add"), data)
            claim = Claim.objects.get(text=text)
        else:
            claim = services.claim_create(text=text, actor=self.editor)
            if grounded:
                services.appearance_create(
                    claim=claim,
                    video=video,
                    start_seconds=number,
                    quote=f"quote q{number:03d}q",
                    actor=self.editor,
                )
        assert (claim.status, claim.appearances.exists()) == (Status.DRAFT, grounded)
        return claim.pk

    @rule(claim=claims, path=paths)
    @step
    def add_appearance(self, claim, path):
        number = next(self.numbers)
        video = self.videos[number % 2]
        before = Appearance.objects.filter(claim_id=claim).count()
        if path == "admin":
            data = {
                "claim": str(claim),
                "video": str(video.pk),
                "start_seconds": str(number),
                "quote": f"quote q{number:03d}q",
            }
            assert self.admin_form(reverse("admin:claims_appearance_add"), data)
        else:
            services.appearance_create(
                claim=Claim(pk=claim),
                video=video,
                start_seconds=number,
                quote=f"quote q{number:03d}q",
                actor=self.editor,
            )
        assert Appearance.objects.filter(claim_id=claim).count() == before + 1

    @rule(claim=claims, verb=st.sampled_from(list(MOVES)), reason=reasons, path=paths)
    @step
    def move_claim(self, claim, verb, reason, path):
        self.claim_move(claim, verb, reason, path)

    @rule(claim=claims, choice=st.integers(0, 1), reason=likely_reasons, path=paths)
    @step
    def advance_claim(self, claim, choice, reason, path):
        """The move the claim's state allows, so that long histories come about."""
        status = Claim.objects.values_list("status", flat=True).get(pk=claim)
        self.claim_move(claim, NEXT[status][choice], reason, path)

    def claim_move(self, claim, verb, reason, path):
        before = Claim.objects.get(pk=claim)
        start, end = MOVES[verb]
        allowed = (
            before.status == start
            and (verb not in NEEDS_REASON or reason.strip())
            and (verb not in ("publish", "restore") or before.appearances.exists())
            and (verb != "restore" or before.merged_into_id is None)
        )
        if path == "admin":
            self.admin_action("claim", verb, [claim], confirm="yes", reason=reason)
        else:
            kwargs = {"reason": reason} if verb != "publish" else {}
            service = getattr(services, f"claim_{verb}")
            assert refused(lambda: service(claim=before, actor=self.editor, **kwargs)) is (
                not allowed
            )
        after = Claim.objects.get(pk=claim)
        assert after.status == (end if allowed else before.status)
        if allowed:
            latest = after.history.latest()
            assert latest.history_change_reason.startswith(f"{start} → {end}")
            if verb == "publish":
                assert after.published_at is not None
            else:
                assert after.published_at == before.published_at
        else:
            assert after.history.count() == before.history.count()

    @rule(claim=claims, path=paths)
    @step
    def edit_claim(self, claim, path):
        before = Claim.objects.get(pk=claim)
        text = f"{before.text.split(' is ')[0]} is revised {next(self.numbers)}."
        if path == "admin":
            url = reverse("admin:claims_claim_change", args=[claim])
            data = {**INLINES, "text": text, "opened_version": str(before.version)}
            assert self.admin_form(url, data)
        else:
            services.claim_update(claim=before, changes={"text": text}, actor=self.editor)
        after = Claim.objects.get(pk=claim)
        assert (after.text, after.status) == (text, before.status)

    @rule(keep=claims, duplicate=claims, path=paths)
    @step
    def merge(self, keep, duplicate, path):
        kept, merged = Claim.objects.get(pk=keep), Claim.objects.get(pk=duplicate)
        movable = {Status.DRAFT, Status.PUBLISHED}
        allowed = (
            keep != duplicate
            and kept.status in movable
            and merged.status in movable
            and not (merged.status == Status.PUBLISHED and kept.status != Status.PUBLISHED)
        )
        moved = set(merged.appearances.values_list("pk", flat=True))
        if path == "admin":
            self.admin_action("claim", "merge", {keep, duplicate}, confirm="yes", keep=keep)
        else:
            merge = lambda: services.claim_merge(  # noqa: E731
                keep=kept, duplicates=[merged], actor=self.editor
            )
            assert refused(merge) is not allowed
        after = Claim.objects.get(pk=duplicate)
        if allowed:
            gone = Status.RETRACTED if merged.status == Status.PUBLISHED else Status.DISCARDED
            assert (after.status, after.merged_into_id) == (gone, keep)
            assert not after.appearances.exists() and not after.arguments.exists()
            assert moved <= set(Claim.objects.get(pk=keep).appearances.values_list("pk", flat=True))
        else:
            assert (after.status, after.merged_into_id) == (merged.status, merged.merged_into_id)

    @precondition(lambda self: Appearance.objects.exists())
    @rule(pick=st.integers(min_value=0), to=claims, path=paths)
    @step
    def move_appearance(self, pick, to, path):
        appearances = list(Appearance.objects.order_by("pk"))
        appearance = appearances[pick % len(appearances)]
        source = appearance.claim
        allowed = to == source.pk or not (
            source.status == Status.PUBLISHED and source.appearances.count() == 1
        )
        if path == "admin":
            url = reverse("admin:claims_appearance_change", args=[appearance.pk])
            data = {
                "claim": str(to),
                "video": str(appearance.video_id),
                "start_seconds": str(appearance.start_seconds),
                "quote": appearance.quote,
                "opened_version": str(appearance.version),
            }
            assert self.admin_form(url, data) is allowed
        else:
            update = lambda: services.appearance_update(  # noqa: E731
                appearance=appearance, changes={"claim": to}, actor=self.editor
            )
            assert refused(update) is not allowed
        assert Appearance.objects.get(pk=appearance.pk).claim_id == (to if allowed else source.pk)

    # Arguments -----------------------------------------------------------------------------

    @rule(
        target=arguments,
        claim=claims,
        premise=st.none() | claims,
        stance=st.sampled_from(Stance),
        path=st.sampled_from(["service", "inline", "admin"]),
    )
    @step
    def create_argument(self, claim, premise, stance, path):
        text = f"Reason [{next(self.numbers):03d}] holds."
        allowed = premise != claim
        evidence = {"source_url": "https://example.org/"}
        if path == "service":
            create = lambda: services.argument_create(  # noqa: E731
                claim=Claim(pk=claim),
                stance=stance,
                text=text,
                premise=None if premise is None else Claim(pk=premise),
                actor=self.editor,
                **evidence,
            )
            assert refused(create) is not allowed
        elif path == "inline":
            prefix = STANCE_PREFIX[stance]
            data = {
                **INLINES,
                "text": Claim.objects.get(pk=claim).text,
                f"{prefix}-TOTAL_FORMS": "1",
                f"{prefix}-0-text": text,
                f"{prefix}-0-source_url": evidence["source_url"],
                f"{prefix}-0-premise": "" if premise is None else str(premise),
            }
            url = reverse("admin:claims_claim_change", args=[claim])
            assert self.admin_form(url, data) is allowed
        else:
            data = {
                "claim": str(claim),
                "stance": stance,
                "text": text,
                "premise": "" if premise is None else str(premise),
                **evidence,
            }
            assert self.admin_form(reverse("admin:claims_argument_add"), data) is allowed
        created = Argument.objects.filter(text=text).first()
        assert (created is not None) is allowed
        if created is None:
            return multiple()
        assert (created.status, created.stance, created.claim_id) == (Status.DRAFT, stance, claim)
        return created.pk

    @rule(argument=arguments, verb=st.sampled_from(list(MOVES)), reason=reasons, path=paths)
    @step
    def move_argument_status(self, argument, verb, reason, path):
        self.argument_move(argument, verb, reason, path)

    @rule(argument=arguments, choice=st.integers(0, 1), reason=likely_reasons, path=paths)
    @step
    def advance_argument(self, argument, choice, reason, path):
        status = Argument.objects.values_list("status", flat=True).get(pk=argument)
        self.argument_move(argument, NEXT[status][choice], reason, path)

    def argument_move(self, argument, verb, reason, path):
        before = Argument.objects.select_related("premise").get(pk=argument)
        start, end = MOVES[verb]
        premise_public = before.premise is None or before.premise.status in WAS_PUBLIC
        allowed = (
            before.status == start
            and (verb not in NEEDS_REASON or reason.strip())
            and (end != Status.PUBLISHED or premise_public)
        )
        if path == "admin":
            self.admin_action("argument", verb, [argument], confirm="yes", reason=reason)
        else:
            kwargs = {"reason": reason} if verb != "publish" else {}
            service = getattr(services, f"argument_{verb}")
            assert refused(lambda: service(argument=before, actor=self.editor, **kwargs)) is (
                not allowed
            )
        assert Argument.objects.get(pk=argument).status == (end if allowed else before.status)

    @rule(argument=arguments, to=claims, path=paths)
    @step
    def move_argument(self, argument, to, path):
        before = Argument.objects.get(pk=argument)
        allowed = to != before.premise_id
        if path == "admin":
            data = {
                "claim": str(to),
                "stance": before.stance,
                "text": before.text,
                "source_url": before.source_url,
                "premise": "" if before.premise_id is None else str(before.premise_id),
                "opened_version": str(before.version),
            }
            url = reverse("admin:claims_argument_change", args=[argument])
            assert self.admin_form(url, data) is allowed
        else:
            update = lambda: services.argument_update(  # noqa: E731
                argument=before, changes={"claim": to}, actor=self.editor
            )
            assert refused(update) is not allowed
        after = Argument.objects.get(pk=argument)
        assert (after.claim_id, after.status) == (to if allowed else before.claim_id, before.status)

    # Reverting -----------------------------------------------------------------------------

    @precondition(lambda self: Claim.objects.exists())
    @rule(
        model=st.sampled_from([Claim, Appearance, Argument]),
        pick=st.integers(min_value=0),
        version=st.integers(min_value=0),
        path=paths,
    )
    @step
    def revert(self, model, pick, version, path):
        objects = list(model.objects.order_by("pk"))
        if not objects:
            return
        item = objects[pick % len(objects)]
        records = list(item.history.order_by("history_id"))
        record = records[version % len(records)]
        if path == "admin":
            url = reverse(
                f"admin:claims_{model._meta.model_name}_simple_history",
                args=[item.pk, record.history_id],
            )
            assert self.admin.post(url, {}).status_code == 302
            done = model.objects.get(pk=item.pk).history.count() > len(records)
        else:
            done = not refused(lambda: services.history_revert(record=record, actor=self.editor))
        after = model.objects.get(pk=item.pk)
        if hasattr(item, "status"):
            assert (after.status, after.retraction_reason) == (
                item.status,
                item.retraction_reason,
            )
        if isinstance(item, Claim):
            assert (after.merged_into_id, after.published_at) == (
                item.merged_into_id,
                item.published_at,
            )
        restored = [name for name in RECORDED[model] if name not in ("status", "retraction_reason")]
        restored = [name for name in restored if name not in ("published_at", "merged_into_id")]
        if done:
            assert [getattr(after, name) for name in restored] == [
                getattr(record, name) for name in restored
            ]
        else:
            assert [getattr(after, name) for name in restored] == [
                getattr(item, name) for name in restored
            ]

    # What must hold after every step -------------------------------------------------------

    @invariant()
    def published_claims_are_grounded_and_retractions_explained(self):
        assert not Claim.objects.published().filter(appearances__isnull=True).exists()
        for model in (Claim, Argument):
            assert not model.objects.filter(status=Status.RETRACTED, retraction_reason="").exists()

    @invariant()
    def every_change_is_in_the_history(self):
        for model, fields in RECORDED.items():
            history = model.history.model.objects.order_by("history_date", "history_id")
            latest = {}
            for row in history.values("id", "history_user_id", "history_change_reason", *fields):
                assert row["history_user_id"] == self.editor.pk, row
                assert row["history_change_reason"], row
                latest[row["id"]] = [row[name] for name in fields]
            for row in model.objects.values("pk", *fields):
                assert latest[row["pk"]] == [row[name] for name in fields], (model, row)

    @invariant()
    def every_change_makes_a_higher_version(self):
        """A version never goes back, and an object whose recorded fields a step changed
        has a higher one after it."""
        versions = {}
        for model, fields in RECORDED.items():
            for row in model.objects.values("pk", "version", *fields):
                key = (model, row.pop("pk"))
                version = row.pop("version")
                versions[key] = (version, row)
                if key not in self.versions:
                    continue
                before, recorded = self.versions[key]
                assert version >= before, (key, before, version)
                if row != recorded:
                    assert version > before, (key, recorded, row)
        self.versions = versions

    @invariant()
    def the_public_sees_only_what_was_published(self):
        claims = {claim.pk: claim for claim in Claim.objects.prefetch_related("appearances")}
        arguments = list(Argument.objects.all())
        state = fingerprints(claims, arguments)
        # The API answers from the database alone: unchanged rows, unchanged answers. So only
        # what a step changed is read again (everything, the first time).
        if state["all"] == self.seen.get("all"):
            return
        public = {pk for pk, claim in claims.items() if claim.status == Status.PUBLISHED}
        shown_arguments = {
            a.pk for a in arguments if a.status == Status.PUBLISHED and a.claim_id in public
        }
        secret = [c.text for c in claims.values() if c.status not in WAS_PUBLIC]
        secret += [a.text for a in arguments if a.pk not in shown_arguments]
        secret += [
            appearance.quote
            for claim in claims.values()
            if claim.status != Status.PUBLISHED
            for appearance in claim.appearances.all()
        ]
        bodies = []

        def read(url: str, status: int = 200):
            response = self.public.get(url)
            assert response.status_code == status, (url, response.status_code)
            bodies.append(response.content.decode())
            return response.json()

        listed = read("/api/v1/claims/?page_size=100")["results"]
        assert {claim["id"] for claim in listed} == public
        found = read("/api/v1/search/?q=statement&type=claim&page_size=100")["results"]
        assert {int(result["id"]) for result in found} == public
        argued = read("/api/v1/arguments/?page_size=100")["results"]
        assert {argument["id"] for argument in argued} == shown_arguments
        for video in self.videos:
            made = read(f"/api/v1/videos/{video.youtube_id}/")["appearances"]
            assert {a["id"] for a in made} == {
                appearance.pk
                for pk in public
                for appearance in claims[pk].appearances.all()
                if appearance.video_id == video.pk
            }
        for pk, claim in claims.items():
            if state[pk] == self.seen.get(pk):
                continue
            if claim.status not in WAS_PUBLIC:
                read(f"/api/v1/claims/{pk}/", 404)
                continue
            body = read(f"/api/v1/claims/{pk}/")
            assert body["status"] == claim.status
            if claim.status == Status.RETRACTED:
                assert body["retraction_reason"] == claim.retraction_reason != ""
                assert body["appearances"] == body["arguments_for"] == []
            else:
                assert {a["id"] for a in body["appearances"]} == {
                    a.pk for a in claim.appearances.all()
                }
                shown = body["arguments_for"] + body["arguments_against"]
                assert {a["id"] for a in shown} == {
                    a.pk for a in arguments if a.claim_id == pk and a.pk in shown_arguments
                }
        for text in secret:
            assert not any(text in body for body in bodies), text
        self.seen = state


def fingerprints(claims: dict[int, Claim], arguments: list[Argument]) -> dict:
    """What each claim's public answer is made of (itself, its appearances and arguments, the
    claims they refer to), and under "all" everything at once."""

    def own(claim: Claim) -> tuple:
        return (claim.status, claim.text, claim.retraction_reason, claim.merged_into_id)

    state = {}
    for pk, claim in claims.items():
        mine = sorted(
            (a.pk, a.status, a.text, a.stance, a.premise_id) for a in arguments if a.claim_id == pk
        )
        referred = {a[4] for a in mine} | {claim.merged_into_id}
        state[pk] = (
            own(claim),
            sorted((a.pk, a.video_id, a.start_seconds, a.quote) for a in claim.appearances.all()),
            mine,
            sorted((ref, own(claims[ref])) for ref in referred if ref is not None),
        )
    state["all"] = tuple(sorted(state.items()))
    return state


def test_no_sequence_of_editor_moves_makes_a_draft_public(editor):
    Curation.examples_run = Curation.steps_run = 0
    run_state_machine_as_test(
        lambda: Curation(editor),
        settings=settings(
            max_examples=MAX_EXAMPLES,
            stateful_step_count=STEPS,
            deadline=None,
            database=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        ),
    )
    # `pytest -s` shows how much was run.
    print(f"\n{Curation.steps_run} steps in {Curation.examples_run} examples")
    assert Curation.steps_run > Curation.examples_run
