"""A moderator changes no content anywhere in the admin: every model they may view, every way
the admin writes (add, change, delete, list actions, reverting a history row, the claims'
own pages), refused and nothing written."""

import pytest
from django.contrib import admin
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.forms.models import model_to_dict
from django.test import Client
from django.urls import NoReverseMatch, reverse

from tests.factories import (
    ChannelFactory,
    GroundedClaimFactory,
    NoteFactory,
    SpeakerFactory,
    TopicFactory,
    VideoFactory,
    WikiLinkFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def content(published_claim, proposal):
    """One row of every kind of content the admin shows, each with a history row if it keeps
    history."""
    note = NoteFactory()
    WikiLinkFactory(note=note)
    ChannelFactory()
    TopicFactory()
    SpeakerFactory()
    return GroundedClaimFactory(text="A draft the moderator may not publish")


def _state() -> dict:
    return {
        model._meta.label: sorted(model._base_manager.values_list(), key=repr)
        for model in admin.site._registry
    }


def _url(model, name: str, *args) -> str | None:
    try:
        return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{name}", args=args)
    except NoReverseMatch:
        return None


def test_a_moderator_changes_no_content_anywhere_in_the_admin(content, moderator, rf):
    client = Client()
    client.force_login(moderator)
    request = rf.get("/admin/")
    request.user = moderator
    viewable = [
        model
        for model, model_admin in admin.site._registry.items()
        if model_admin.has_view_permission(request)
    ]
    before = _state()
    refused: list[str] = []

    assert {model._meta.label for model in viewable} >= {
        "claims.Claim",
        "claims.Appearance",
        "claims.Argument",
        "claims.Speaker",
        "notes.Video",
        "notes.Note",
        "contributions.Contribution",
    }
    for model in viewable:
        item = model._base_manager.first()
        assert item is not None, f"no {model._meta.label} to try"
        data = {field.name: "Changed by a moderator" for field in model._meta.concrete_fields}
        attempts = [
            ("add", _url(model, "add"), data),
            ("change", _url(model, "change", item.pk), data),
            ("delete", _url(model, "delete", item.pk), {"post": "yes"}),
        ]
        history = getattr(model, "history", None)
        record = history.filter(id=item.pk).first() if history is not None else None
        if record is not None and _url(model, "simple_history", item.pk, record.history_id):
            attempts.append(
                (
                    "revert",
                    _url(model, "simple_history", item.pk, record.history_id),
                    {"_save": "Revert"},
                )
            )
        for what, url, body in attempts:
            response = client.post(url, body)
            assert response.status_code == 403, (model._meta.label, what, response.status_code)
            refused.append(f"{model._meta.label} {what}")
        # A list action the moderator is not offered is not run either.
        client.post(
            _url(model, "changelist"),
            {"action": "delete_selected", ACTION_CHECKBOX_NAME: [item.pk], "post": "yes"},
        )

    assert client.post(reverse("admin:claims_claim_import_notes")).status_code == 403
    note = NoteFactory._meta.model.objects.first()
    triage = reverse("admin:claims_claim_triage", args=[note.pk])
    draft = content.pk
    for decision in ("publish", "discard"):
        response = client.post(triage, {"claim": draft, "decision": decision})
        assert response.status_code == 403, decision

    assert _state() == before
    assert len(refused) >= 3 * len(viewable)


def _revert(client: Client, item, record):
    """POST the history page of `record` with its own values, as its Revert button does."""
    url = reverse(
        f"admin:{item._meta.app_label}_{item._meta.model_name}_simple_history",
        args=[item.pk, record.history_id],
    )
    values = model_to_dict(record.instance)
    data = {
        name: "" if value is None else getattr(value, "pk", value)
        for name, value in values.items()
        if not isinstance(value, list)
    }
    return client.post(url, {**data, "_save": "Revert"})


@pytest.mark.parametrize(
    ("factory", "field"),
    [
        (ChannelFactory, "name"),
        (SpeakerFactory, "name"),
        (VideoFactory, "title"),
        (NoteFactory, "title"),
    ],
)
def test_reverting_to_an_old_version_is_changing_it(factory, field, moderator, editor):
    item = factory(**{field: "First"})
    setattr(item, field, "Second")
    item.save()
    first = item.history.order_by("history_id").first()

    as_moderator = Client()
    as_moderator.force_login(moderator)
    assert _revert(as_moderator, item, first).status_code == 403
    item.refresh_from_db()
    assert getattr(item, field) == "Second"

    as_editor = Client()
    as_editor.force_login(editor)
    assert _revert(as_editor, item, first).status_code == 302
    item.refresh_from_db()
    assert getattr(item, field) == "First"
