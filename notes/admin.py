"""The editors' admin for channels, videos, topics and notes."""

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.postgres.search import SearchQuery
from django.core.exceptions import PermissionDenied
from django.db import connections
from django.db.models import Count, Q, QuerySet
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from simple_history.admin import SimpleHistoryAdmin

from notes.admin_scale import ScaleAdminMixin
from notes.models import Channel, Note, Topic, Video, WikiLink
from notes.rendering import render_note_html
from notes.selectors import resolve_link_targets
from notes.services import note_save

#: A URL name that resolves to nothing: the history list then shows an editor's name unlinked.
NO_USER_PAGE = "admin:no_user_page"


class ReadOnlyAdminMixin:
    """For an admin or an inline whose rows nobody adds, changes or deletes by hand."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class HistoryAdmin(SimpleHistoryAdmin):
    """Admin with a history page whose "Revert" is recorded as a revert, by its editor, and
    whose list names the editors, linking to their user pages only for who may open them."""

    # Simple history's page, with a stylesheet that keeps it within the screen.
    object_history_template = "admin/history/object_history.html"

    def history_view(self, request, object_id, extra_context=None):
        user_admin = self.admin_site._registry.get(get_user_model())
        if user_admin is None or not user_admin.has_view_or_change_permission(request):
            extra_context = {"admin_user_view": NO_USER_PAGE, **(extra_context or {})}
        return super().history_view(request, object_id, extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        # simple_history saves a valid form for whoever may view the history, a moderator
        # (view only) included: reverting is changing.
        if request.method == "POST" and not self.has_change_history_permission(request):
            raise PermissionDenied
        request.reverting_to_version = version_id
        return super().history_form_view(request, object_id, version_id, extra_context)

    def save_model(self, request, obj, form, change):
        obj._change_reason = self.change_reason(request, change)
        super().save_model(request, obj, form, change)

    def save_formset(self, request, form, formset, change):
        # Inline rows (a claim's appearances and arguments) get the same account of why.
        for inline_form in formset.forms:
            row = inline_form.instance
            row._change_reason = self.change_reason(request, not row._state.adding)
        super().save_formset(request, form, formset, change)

    @staticmethod
    def change_reason(request, change: bool) -> str:
        """What the history row says of an edit made in the admin."""
        version = getattr(request, "reverting_to_version", None)
        if version is not None:
            return f"Reverted to version {version}"
        return "Edited in the admin" if change else "Added in the admin"

    def has_delete_permission(self, request, obj=None):
        # Public records are retracted, never deleted: deletions cannot be reverted.
        return False


@admin.register(Channel)
class ChannelAdmin(HistoryAdmin):
    list_display = ["name", "slug", "video_count"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(video_count=Count("videos"))

    @admin.display(description="videos", ordering="video_count")
    def video_count(self, channel: Channel) -> int:
        return channel.video_count


@admin.register(Video)
class VideoAdmin(ScaleAdminMixin, HistoryAdmin):
    list_display = ["title", "youtube_id", "channel", "published_on", "watch_link"]
    list_filter = ["channel"]
    list_select_related = ["channel"]
    search_fields = ["title", "youtube_id", "channel__name"]
    autocomplete_fields = ["channel"]

    @admin.display(description="watch")
    def watch_link(self, video: Video) -> str:
        return format_html('<a href="{}" target="_blank" rel="noopener">YouTube ↗</a>', video.url)


@admin.register(Topic)
class TopicAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "claim_count"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(claim_count=Count("claims"))

    @admin.display(description="claims", ordering="claim_count")
    def claim_count(self, topic: Topic) -> int:
        return topic.claim_count


class WikiLinkInline(admin.TabularInline):
    model = WikiLink
    fields = ["target_slug", "label", "target"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    verbose_name_plural = "wikilinks (kept in step with the body)"

    def has_add_permission(self, request, obj=None):
        return False

    @admin.display(description="leads to")
    def target(self, link: WikiLink) -> str:
        # Inlines are instantiated per request, so this resolves the note's links once.
        if not hasattr(self, "_link_for"):
            self._link_for = admin_link_for(link.note.links.values_list("target_slug", flat=True))
        href, css_class = self._link_for(link.target_slug)
        kind = css_class.removeprefix("wikilink wikilink--")
        return format_html('<a href="{}">{}</a>', href, kind)


def admin_link_for(slugs):
    """Resolve wikilink targets to admin pages: a note, else a channel, else the notes
    linking to that topic."""
    targets = resolve_link_targets(slugs)

    def link_for(slug: str) -> tuple[str, str]:
        match targets.get(slug):
            case Note() as note:
                return reverse("admin:notes_note_change", args=[note.pk]), "wikilink wikilink--note"
            case Channel() as channel:
                url = reverse("admin:notes_channel_change", args=[channel.pk])
                return url, "wikilink wikilink--channel"
            case _:
                url = reverse("admin:notes_note_changelist") + f"?links__target_slug={slug}"
                return url, "wikilink wikilink--topic"

    return link_for


def note_search(queryset: QuerySet[Note], term: str) -> QuerySet[Note]:
    """The admin's note search: on PostgreSQL the notes' full-text index (title and body) or
    the exact slug; elsewhere each word anywhere in the title, slug or body."""
    if connections[queryset.db].vendor != "postgresql":
        for word in term.split():
            queryset = queryset.filter(
                Q(title__icontains=word)
                | Q(slug__icontains=word)
                | Q(body_markdown__icontains=word)
            )
        return queryset
    query = SearchQuery(term.replace("\x00", ""), search_type="websearch", config="english")
    return queryset.filter(Q(search_vector=query) | Q(slug=term))


@admin.register(Note)
class NoteAdmin(ScaleAdminMixin, HistoryAdmin):
    list_display = ["title", "slug", "video", "link_count", "updated_at"]
    list_filter = ["video__channel"]
    list_select_related = ["video"]
    search_fields = ["title", "slug", "body_markdown"]
    full_text_search = staticmethod(note_search)
    autocomplete_fields = ["video"]
    readonly_fields = ["rendered", "source_path", "content_hash", "created_at", "updated_at"]
    fieldsets = [
        (None, {"fields": ["title", "slug", "video"]}),
        ("Rendered", {"fields": ["rendered"]}),
        ("Markdown", {"fields": ["body_markdown", "front_matter"], "classes": ["collapse"]}),
        ("Import", {"fields": ["source_path", "content_hash", "created_at", "updated_at"]}),
    ]
    inlines = [WikiLinkInline]

    page_annotations = {"link_count": Count("links")}

    def lookup_allowed(self, lookup, value, request=None):
        # A topic's wikilinks lead here filtered by target: the notes that link to the topic.
        return lookup == "links__target_slug" or super().lookup_allowed(lookup, value, request)

    @admin.display(description="links")
    def link_count(self, note: Note) -> int:
        return note.link_count

    @admin.display(description="rendered note")
    def rendered(self, note: Note) -> str:
        if note.pk is None:
            return "—"
        slugs = note.links.values_list("target_slug", flat=True)
        html = render_note_html(
            note.body_markdown, video_id=note.video.youtube_id, link_for=admin_link_for(slugs)
        )
        # render_note_html sanitizes with nh3: only a whitelist of tags and attributes remains.
        return mark_safe(f'<div class="rendered-note">{html}</div>')

    def save_model(self, request, obj, form, change):
        note_save(note=obj, actor=request.user, reason=self.change_reason(request, change))


@admin.register(WikiLink)
class WikiLinkAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Read-only: links are derived from note bodies, so they change with the note."""

    list_display = ["note", "target_slug", "label"]
    list_select_related = ["note"]
    search_fields = ["target_slug", "label", "note__title"]
