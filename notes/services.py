"""Writes to notes, videos and channels. Every write is one atomic, validated step."""

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from notes import parsing
from notes.models import Channel, Note, Topic, Video, WikiLink
from notes.parsing import ParsedNote


class ImportOutcome(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"


@dataclass(frozen=True, slots=True)
class NoteImportResult:
    note: Note
    outcome: ImportOutcome


def topic_name_from_slug(slug: str) -> str:
    """A readable name for a topic that only exists as a wikilink target."""
    words = slug.replace("_", " ").strip()
    return words[:1].upper() + words[1:]


def topic_get_or_create(*, slug: str) -> Topic:
    topic, _ = Topic.objects.get_or_create(slug=slug, defaults={"name": topic_name_from_slug(slug)})
    return topic


def _channel_for(parsed: ParsedNote) -> Channel | None:
    if parsed.channel_slug is None:
        return None
    channel = Channel.objects.filter(slug=parsed.channel_slug).first()
    if channel is None:
        channel = Channel(slug=parsed.channel_slug, name=parsed.channel_name or parsed.channel_slug)
        channel.full_clean()
        channel.save()
    return channel


def _video_for(parsed: ParsedNote, channel: Channel | None) -> Video:
    video = Video.objects.filter(youtube_id=parsed.video_id).first()
    if video is None:
        # The vault names notes, not videos: the first note about a video lends it a title
        # that an editor can correct in the admin.
        video = Video(youtube_id=parsed.video_id, title=parsed.title, channel=channel)
        video.full_clean()
        video.save()
    elif channel is not None and video.channel_id != channel.pk:
        video.channel = channel
        video.full_clean()
        video.save(update_fields=["channel"])
    return video


@transaction.atomic
def note_import(
    *,
    parsed: ParsedNote,
    source_path: str,
    content_hash: str,
    actor: AbstractBaseUser | None = None,
) -> NoteImportResult:
    """Create or update the note for one parsed vault file, with its video, channel and links.

    A note is identified by its slug; a file whose content hash and path match the stored note
    changes nothing at all, so re-importing a vault is cheap and leaves no history behind.
    """
    note = Note.objects.filter(slug=parsed.slug).first()
    if note and note.content_hash == content_hash and note.source_path == source_path:
        return NoteImportResult(note=note, outcome=ImportOutcome.UNCHANGED)
    if note:
        # Locked, then compared again: two imports of one vault at once take turns here, and
        # the second finds the note the first one wrote unchanged.
        note = Note.objects.select_for_update().get(pk=note.pk)
        if note.content_hash == content_hash and note.source_path == source_path:
            return NoteImportResult(note=note, outcome=ImportOutcome.UNCHANGED)

    channel = _channel_for(parsed)
    video = _video_for(parsed, channel)
    outcome = ImportOutcome.UPDATED if note else ImportOutcome.CREATED
    note = note or Note(slug=parsed.slug)
    note.title = parsed.title
    note.video = video
    note.body_markdown = parsed.body_markdown
    note.front_matter = parsed.front_matter
    note.source_path = source_path
    note.content_hash = content_hash
    note._history_user = actor
    note._change_reason = f"Imported from {source_path}"
    note.full_clean()
    note.save()

    _replace_links(note, parsed.links)
    return NoteImportResult(note=note, outcome=outcome)


@transaction.atomic
def note_save(*, note: Note, actor: AbstractBaseUser | None, reason: str = "") -> Note:
    """Save an editor's change to a note, keeping its wikilinks in step with its body."""
    note._history_user = actor
    note._change_reason = reason or "Edited"
    note.full_clean()
    note.save()
    _replace_links(note, parsing.find_wikilinks(note.body_markdown))
    return note


def _replace_links(note: Note, links: Iterable[parsing.WikiLink]) -> None:
    labels: dict[str, str] = {}
    for link in links:
        labels.setdefault(link.target_slug, link.label)
    note.links.all().delete()
    WikiLink.objects.bulk_create(
        WikiLink(note=note, target_slug=slug, label=label[:300]) for slug, label in labels.items()
    )
