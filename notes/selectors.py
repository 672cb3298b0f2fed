"""Read queries for notes, with their joins decided once."""

from collections.abc import Iterable

from notes.models import Channel, Note


def resolve_link_targets(slugs: Iterable[str]) -> dict[str, Note | Channel]:
    """What each wikilink target names: a note with that slug, else a channel with it.

    Slugs that name neither are topics and are left out. Two queries, however many slugs.
    """
    wanted = set(slugs)
    targets: dict[str, Note | Channel] = {
        channel.slug: channel for channel in Channel.objects.filter(slug__in=wanted)
    }
    targets.update(
        (note.slug, note) for note in Note.objects.filter(slug__in=wanted).select_related("video")
    )
    return targets
