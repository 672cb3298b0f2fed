"""Writes to notes, videos and channels. Every write is one atomic, validated step."""

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.dispatch import Signal
from django.utils import timezone
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from notes import parsing, revisions
from notes.models import Channel, Note, Topic, Video, WikiLink
from notes.parsing import ParsedNote

#: Sent inside the transaction of `note_import_batch`, whose bulk writes send no ``post_save``,
#: with ``note_ids``: the notes it created or changed. Derived data (the search index) listens.
notes_bulk_written = Signal()


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


def topic_name_from_link(target: str) -> str:
    """The name a wikilink gives the topic it names: its target as written, with the case the
    note gave it (`[[MMDetection toolkit]]` names "MMDetection toolkit", where the slug alone
    would give "Mmdetection toolkit"); underscores read as spaces."""
    words = " ".join(target.replace("_", " ").split())
    return words[:1].upper() + words[1:]


def topic_get_or_create(*, slug: str) -> Topic:
    topic, _ = Topic.objects.get_or_create(slug=slug, defaults={"name": topic_name_from_slug(slug)})
    return topic


def topics_get_or_create(
    *, slugs: Collection[str], names: Mapping[str, str] | None = None
) -> dict[str, Topic]:
    """`topic_get_or_create` for many slugs, in two or three queries; by slug. A topic made
    here is named by `names` (by slug), else by its slug; one that exists keeps its name."""
    names = names or {}
    if not slugs:
        return {}
    topics = Topic.objects.in_bulk(list(slugs), field_name="slug")
    missing = [slug for slug in slugs if slug not in topics]
    if missing:
        # A concurrent writer may make one of them first: it is then read back, not made twice.
        Topic.objects.bulk_create(
            [
                Topic(slug=slug, name=names.get(slug) or topic_name_from_slug(slug))
                for slug in missing
            ],
            ignore_conflicts=True,
        )
        topics |= Topic.objects.in_bulk(missing, field_name="slug")
    return topics


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


@dataclass(frozen=True, slots=True)
class NoteFile:
    """A parsed vault file to import: what `note_import` takes, for `note_import_batch`."""

    parsed: ParsedNote
    source_path: str
    content_hash: str


#: What an import sets on a note it changes.
_IMPORTED_FIELDS = [
    "title",
    "video",
    "body_markdown",
    "front_matter",
    "source_path",
    "content_hash",
    "updated_at",
]


@transaction.atomic
def note_import_batch(
    *, files: Sequence[NoteFile], actor: AbstractBaseUser | None = None
) -> list[NoteImportResult | ValidationError]:
    """`note_import` for many files at once, in a constant number of queries.

    Returns, for each file in order, its result, or the ValidationError that refused its note;
    nothing of a refused file is written. The slugs must be distinct. Notes, channels, videos
    and links are written in bulk, with their history rows, and the content revision is bumped
    once. A file whose path and content hash are its note's changes nothing.
    """
    # Locked, then compared: two imports of one vault at once take turns here, and the second
    # finds the notes the first one wrote unchanged.
    stored = Note.objects.select_for_update().in_bulk(
        [file.parsed.slug for file in files], field_name="slug"
    )
    results: list[NoteImportResult | ValidationError] = []
    now = timezone.now()
    for file in files:
        note = stored.get(file.parsed.slug)
        if note and (note.content_hash, note.source_path) == (file.content_hash, file.source_path):
            results.append(NoteImportResult(note=note, outcome=ImportOutcome.UNCHANGED))
            continue
        outcome = ImportOutcome.UPDATED if note else ImportOutcome.CREATED
        note = note or Note(slug=file.parsed.slug)
        note.title = file.parsed.title
        note.body_markdown = file.parsed.body_markdown
        note.front_matter = file.parsed.front_matter
        note.source_path = file.source_path
        note.content_hash = file.content_hash
        note.updated_at = now
        note._history_user = actor
        note._change_reason = f"Imported from {file.source_path}"
        try:
            # The video is checked once it exists; uniqueness and constraints by the database
            # (the slug is this batch's, and locked): a query per note would cost more than
            # the whole batch's writes.
            note.full_clean(exclude=["video"], validate_unique=False, validate_constraints=False)
        except ValidationError as error:
            results.append(error)
            continue
        results.append(NoteImportResult(note=note, outcome=outcome))

    written = [
        (result.note, file)
        for result, file in zip(results, files, strict=True)
        if isinstance(result, NoteImportResult) and result.outcome != ImportOutcome.UNCHANGED
    ]
    if not written:
        return results
    videos = _videos_for(written, actor)
    for note, file in written:
        note.video = videos[file.parsed.video_id]
    created = [note for note, _ in written if note.pk is None]
    updated = [note for note, _ in written if note.pk is not None]
    _bulk_create(created, Note, actor)
    _bulk_update(updated, Note, _IMPORTED_FIELDS, actor)
    WikiLink.objects.filter(note__in=updated).delete()
    WikiLink.objects.bulk_create(
        link for note, file in written for link in _links_of(note, file.parsed.links)
    )
    # Notes, the videos and channels they name, and the topic pages listing what links there.
    revisions.bump("notes", "videos", "topics")
    notes_bulk_written.send(Note, note_ids=[note.pk for note, _ in written])
    return results


def _videos_for(
    written: list[tuple[Note, NoteFile]], actor: AbstractBaseUser | None
) -> dict[str, Video]:
    """The videos of these notes by YouTube id, made when new, with their channels: what
    `_video_for` does for one note, in five queries for all."""
    channel_names: dict[str, str] = {}
    for _, file in written:
        if file.parsed.channel_slug is not None:
            channel_names.setdefault(
                file.parsed.channel_slug, file.parsed.channel_name or file.parsed.channel_slug
            )
    channels = Channel.objects.in_bulk(list(channel_names), field_name="slug")
    new_channels = [
        Channel(slug=slug, name=name)
        for slug, name in channel_names.items()
        if slug not in channels
    ]
    channels |= {channel.slug: channel for channel in _bulk_create(new_channels, Channel, actor)}
    videos = Video.objects.in_bulk(
        list({file.parsed.video_id for _, file in written}), field_name="youtube_id"
    )
    new: dict[str, Video] = {}
    moved: dict[str, Video] = {}
    # As with one note at a time: the first note about a video lends it a title, and the last
    # one naming a channel gives it that channel.
    for _, file in written:
        channel = channels.get(file.parsed.channel_slug) if file.parsed.channel_slug else None
        video = videos.get(file.parsed.video_id) or new.setdefault(
            file.parsed.video_id,
            Video(youtube_id=file.parsed.video_id, title=file.parsed.title, channel=channel),
        )
        if channel is not None and video.channel_id != channel.pk:
            video.channel = channel
            if video.pk is not None:
                moved[video.youtube_id] = video
    _bulk_create(list(new.values()), Video, actor)
    _bulk_update(list(moved.values()), Video, ["channel"], actor)
    return videos | new


def _bulk_create(rows: list, model: type, actor: AbstractBaseUser | None) -> list:
    """Insert `rows` with their history rows, in two queries; none for no rows. Each row's
    history takes its ``_change_reason``, if it has one."""
    return bulk_create_with_history(rows, model, default_user=actor) if rows else []


def _bulk_update(
    rows: list, model: type, fields: list[str], actor: AbstractBaseUser | None
) -> None:
    if rows:
        bulk_update_with_history(rows, model, fields=fields, default_user=actor)


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
    note.links.all().delete()
    WikiLink.objects.bulk_create(_links_of(note, links))


def _links_of(note: Note, links: Iterable[parsing.WikiLink]) -> list[WikiLink]:
    """The rows of a note's links: one per target, labelled as the first link to it is."""
    labels: dict[str, str] = {}
    for link in links:
        labels.setdefault(link.target_slug, link.label)
    return [
        WikiLink(note=note, target_slug=slug, label=label[:300]) for slug, label in labels.items()
    ]
