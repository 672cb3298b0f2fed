"""Channels, videos and the vault notes written about them, with the wikilinks between notes."""

from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from notes.parsing import SLUG_MAX_LENGTH, TITLE_MAX_LENGTH, youtube_url

YOUTUBE_ID_PATTERN = r"^[A-Za-z0-9_-]{11}$"


class Channel(models.Model):
    """A YouTube channel, named by a vault's `From: [[channel]]` line."""

    # A channel is named by a wikilink target, which the parser holds to SLUG_MAX_LENGTH.
    slug = models.SlugField(max_length=SLUG_MAX_LENGTH, unique=True, allow_unicode=True)
    name = models.CharField(max_length=SLUG_MAX_LENGTH)

    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=~Q(slug=""), name="channel_slug_not_empty"),
        ]

    def __str__(self) -> str:
        return self.name


class Video(models.Model):
    youtube_id = models.CharField(
        "YouTube id",
        max_length=11,
        unique=True,
        help_text="The 11 characters after watch?v= in the video's address.",
    )
    title = models.CharField(max_length=TITLE_MAX_LENGTH)
    channel = models.ForeignKey(
        Channel, on_delete=models.PROTECT, null=True, blank=True, related_name="videos"
    )
    duration_seconds = models.PositiveIntegerField(null=True, blank=True)
    published_on = models.DateField(null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["title"]
        constraints = [
            models.CheckConstraint(
                condition=Q(youtube_id__regex=YOUTUBE_ID_PATTERN), name="video_youtube_id_format"
            ),
            models.CheckConstraint(
                condition=Q(duration_seconds__isnull=True) | Q(duration_seconds__gte=0),
                name="video_duration_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.youtube_id})"

    @property
    def url(self) -> str:
        return youtube_url(self.youtube_id)

    def url_at(self, seconds: int) -> str:
        """The address that opens this video at `seconds`."""
        return youtube_url(self.youtube_id, seconds)


class Topic(models.Model):
    """A subject that claims are filed under; its slug is a wikilink target's slug."""

    slug = models.SlugField(max_length=SLUG_MAX_LENGTH, unique=True, allow_unicode=True)
    name = models.CharField(max_length=SLUG_MAX_LENGTH)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=~Q(slug=""), name="topic_slug_not_empty"),
        ]

    def __str__(self) -> str:
        return self.name


class NoteQuerySet(models.QuerySet):
    def linking_to(self, slug: str) -> "NoteQuerySet":
        """Notes with a wikilink to `slug`: the backlinks of a note, channel or topic page."""
        return self.filter(links__target_slug=slug).distinct()


class Note(models.Model):
    """One markdown file of the vault: identity is its slug, derived from its title."""

    slug = models.SlugField(max_length=SLUG_MAX_LENGTH, unique=True, allow_unicode=True)
    title = models.CharField(max_length=TITLE_MAX_LENGTH)
    video = models.ForeignKey(Video, on_delete=models.PROTECT, related_name="notes")
    body_markdown = models.TextField(blank=True)
    front_matter = models.JSONField(
        default=dict, blank=True, help_text="The file's YAML front matter, kept as written."
    )
    source_path = models.CharField(max_length=500, blank=True)
    content_hash = models.CharField(
        max_length=64, blank=True, help_text="SHA-256 of the imported file; unchanged files skip."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Title and body for full-text search on PostgreSQL, kept by `claims.search` and NULL on
    # SQLite. Derived data: neither serialized into dumps nor recorded in history.
    search_vector = SearchVectorField(null=True, editable=False, serialize=False)

    objects = NoteQuerySet.as_manager()
    history = HistoricalRecords(excluded_fields=["created_at", "updated_at", "search_vector"])

    class Meta:
        ordering = ["title"]
        constraints = [
            models.CheckConstraint(condition=~Q(slug=""), name="note_slug_not_empty"),
            models.CheckConstraint(
                condition=Q(content_hash="") | Q(content_hash__regex=r"^[0-9a-f]{64}$"),
                name="note_content_hash_is_sha256",
            ),
        ]
        indexes = [
            # An import finds each batch's stored notes by the files' paths
            # (`notes.importer`): without it, each batch would read every note.
            models.Index(fields=["source_path"], name="note_source_path_idx"),
        ]
        # `note_search_vector_gin` (GIN on search_vector), serving `claims.search.search_notes`,
        # is made by migration 0002 on PostgreSQL only; see there why it is not declared here.

    def __str__(self) -> str:
        return self.title


class WikiLink(models.Model):
    """A `[[target]]` in a note. The target is only a slug: it may name no page yet."""

    note = models.ForeignKey(Note, on_delete=models.CASCADE, related_name="links")
    target_slug = models.CharField(max_length=SLUG_MAX_LENGTH, db_index=True)
    label = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["note", "target_slug"]
        constraints = [
            models.UniqueConstraint(fields=["note", "target_slug"], name="wikilink_once_per_note"),
            models.CheckConstraint(condition=~Q(target_slug=""), name="wikilink_target_not_empty"),
        ]

    def __str__(self) -> str:
        return f"{self.note.slug} → {self.target_slug}"


class ContentRevision(models.Model):
    """One row counting committed changes to public content; see `notes.revisions`."""

    number = models.PositiveBigIntegerField(default=0)
    changed_at = models.DateTimeField()

    class Meta:
        constraints = [
            # A single row, always pk 1: the revision of the whole site.
            models.CheckConstraint(condition=Q(id=1), name="content_revision_single_row"),
        ]

    def __str__(self) -> str:
        return f"revision {self.number} at {self.changed_at:%Y-%m-%d %H:%M:%S}"


class KindRevision(models.Model):
    """The revision of one kind of public content (claims, speakers, …): the site's revision
    number at its last change; see `notes.revisions`."""

    kind = models.CharField(max_length=20, unique=True)
    number = models.PositiveBigIntegerField(default=0)
    changed_at = models.DateTimeField()
    #: The site's revision number at this kind's last change that did not name the objects it
    #: changed (an import, a load): from there on, every object's detail may have changed.
    every_object_number = models.PositiveBigIntegerField(default=0)
    every_object_changed_at = models.DateTimeField(null=True)

    def __str__(self) -> str:
        return f"{self.kind} at revision {self.number}"


class ObjectRevision(models.Model):
    """The revision of one object's detail (a claim's, say): the site's revision number at the
    last change to anything the detail shows that named it; see `notes.revisions`."""

    kind = models.CharField(max_length=20)
    object_id = models.PositiveBigIntegerField()
    number = models.PositiveBigIntegerField()
    changed_at = models.DateTimeField()

    class Meta:
        constraints = [
            # One row per object; its index serves the detail's look-up of its validators.
            models.UniqueConstraint(fields=["kind", "object_id"], name="object_revision_once"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} #{self.object_id} at revision {self.number}"
