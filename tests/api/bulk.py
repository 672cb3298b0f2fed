"""Many rows at once, for pagination walks and query counts: bulk inserts, not factories.

Bulk inserts send no signals, so each builder bumps the content revision itself and rebuilds the
search index (PostgreSQL) as the importer's bulk paths do.
"""

from datetime import UTC, datetime, timedelta

from claims.models import Appearance, Argument, Claim, Speaker, Stance, Status
from claims.search import search_index_rebuild
from notes import revisions
from notes.models import Channel, Note, Topic, Video

START = datetime(2024, 1, 1, tzinfo=UTC)


def published_claims(
    count: int,
    *,
    video: Video,
    speaker: Speaker | None = None,
    topics: tuple[Topic, ...] = (),
    arguments_each: int = 0,
    appearances_each: int = 1,
    per_instant: int = 1,
    text: str = "Bulk claim",
) -> list[Claim]:
    """`count` published claims, `per_instant` of them sharing each publication minute."""
    claims = Claim.objects.bulk_create(
        Claim(
            text=f"{text} {index}",
            status=Status.PUBLISHED,
            published_at=START + timedelta(minutes=index // per_instant),
        )
        for index in range(count)
    )
    Appearance.objects.bulk_create(
        Appearance(
            claim=claim,
            video=video,
            start_seconds=index * 10 + offset,
            end_seconds=index * 10 + offset + 5,
            speaker=speaker,
            quote=f"{text} quote {index}",
        )
        for index, claim in enumerate(claims)
        for offset in range(appearances_each)
    )
    Argument.objects.bulk_create(
        Argument(
            claim=claim,
            stance=Stance.FOR if number % 2 == 0 else Stance.AGAINST,
            text=f"{text} argument {index}.{number}",
            video=video,
            start_seconds=index * 10 + number,
            speaker=speaker,
            source_url="https://example.org/source" if number % 3 == 0 else "",
            status=Status.PUBLISHED,
        )
        for index, claim in enumerate(claims)
        for number in range(arguments_each)
    )
    Claim.topics.through.objects.bulk_create(
        Claim.topics.through(claim=claim, topic=topic) for claim in claims for topic in topics
    )
    _changed()
    return claims


def videos(count: int, *, channel: Channel | None = None) -> list[Video]:
    made = Video.objects.bulk_create(
        Video(youtube_id=f"bulk{index:07d}", title=f"Bulk video {index:04d}", channel=channel)
        for index in range(count)
    )
    _changed()
    return made


def speakers(count: int, *, claim: Claim, video: Video) -> list[Speaker]:
    """`count` speakers, each named on one appearance of `claim` in `video`: the public lists
    only speakers heard on a published claim, so `claim` must be published for them to show."""
    made = Speaker.objects.bulk_create(
        Speaker(slug=f"bulk_speaker_{index:04d}", name=f"Bulk speaker {index:04d}")
        for index in range(count)
    )
    Appearance.objects.bulk_create(
        Appearance(claim=claim, video=video, start_seconds=index, speaker=speaker)
        for index, speaker in enumerate(made)
    )
    _changed()
    return made


def notes(count: int, *, video: Video) -> list[Note]:
    made = Note.objects.bulk_create(
        Note(
            slug=f"bulk_note_{index:04d}",
            title=f"Bulk note {index:04d}",
            video=video,
            body_markdown=f"Bulk note body {index} [00:00:{index % 60:02d}].",
        )
        for index in range(count)
    )
    _changed()
    return made


def _changed() -> None:
    revisions.bump()
    search_index_rebuild()
