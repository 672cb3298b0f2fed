"""The spec's worked example as rows: one interview, its claim, the arguments for and against,
and the unpublished and retracted work around it that the public must never see in full.

Built through the claims and notes services, as an editor's work would be, so history rows,
the content revision and (on PostgreSQL) the search vectors come about the usual way.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime

from claims import services
from claims.models import Appearance, Argument, Claim, Speaker, Stance
from notes import services as note_services
from notes.models import Channel, Note, Topic, Video
from tests.factories import ChannelFactory, SpeakerFactory, TopicFactory, VideoFactory

VIDEO_ID = "oX7OduG1YmI"
VIDEO_TITLE = "Open source in AI development and safety"
WATCH_URL = f"https://www.youtube.com/watch?v={VIDEO_ID}"
OTHER_VIDEO_ID = "otherVid_01"

CLAIM_TEXT = "Open-sourcing AI models makes them safer"
QUOTE = "open source leads to a smarter and safer model for everyone"
FOR_TEXT = "More eyes scrutinize open code, so bugs are found and fixed sooner."
AGAINST_TEXT = "Keeping models closed keeps them away from malicious actors."
AGAINST_SOURCE = "https://example.org/closed-models-are-safer"
DRAFT_ARGUMENT_TEXT = "Unreviewed zebra argument that nobody may read yet."
DRAFT_CLAIM_TEXT = "Unreviewed zebra claim that nobody may read yet"
RETRACTED_TEXT = "Transformer scaling has already hit its plateau"
RETRACTION_REASON = "Misattributed: the interviewer said it, not the guest."
MERGED_TEXT = "Open models are safer than closed ones"

PUBLISHED_AT = datetime(2025, 1, 15, 10, 30, 5, tzinfo=UTC)
PUBLISHED_AT_JSON = "2025-01-15T10:30:05Z"

NOTE_SLUG = "open_source_in_ai_development_and_safety"
NOTE_TITLE = "Open source in AI development and safety"
COMPANION_SLUG = "llama_release_cadence"
COMPANION_TITLE = "Llama release cadence"
UNRESOLVED_SLUG = "advantages_and_risks_of_ai_technology"
NOTE_BODY = (
    "From: [[cleoabram]] <br/>\n\n"
    "Historically, open source software became safer and more secure [00:42:05]. "
    "See [[llama_release_cadence|how Llama ships]] and [[advantages_and_risks_of_ai_technology"
    " | AI]].\n"
)
COMPANION_BODY = (
    "Meta releases new Llama models often [00:42:52]; "
    "background in [[open_source_in_ai_development_and_safety]].\n"
)


@dataclass
class WorkedExample:
    channel: Channel
    other_channel: Channel
    video: Video
    other_video: Video
    zuckerberg: Speaker
    interviewer: Speaker
    open_source: Topic
    ai_safety: Topic
    unused_topic: Topic
    claim: Claim
    argument_for: Argument
    argument_against: Argument
    draft_argument: Argument
    draft_claim: Claim
    retracted: Claim
    merged: Claim
    note: Note
    companion: Note


def build() -> WorkedExample:
    channel = ChannelFactory(slug="cleoabram", name="Cleo Abram")
    other_channel = ChannelFactory(slug="lex_fridman", name="Lex Fridman")
    video = VideoFactory(
        youtube_id=VIDEO_ID,
        title=VIDEO_TITLE,
        channel=channel,
        duration_seconds=3725,
        published_on=date(2024, 9, 20),
    )
    other_video = VideoFactory(
        youtube_id=OTHER_VIDEO_ID, title="Another interview", channel=other_channel
    )
    zuckerberg = SpeakerFactory(slug="mark_zuckerberg", name="Mark Zuckerberg")
    interviewer = SpeakerFactory(slug="cleo_abram", name="Cleo Abram")
    open_source = TopicFactory(slug="open_source", name="Open source")
    ai_safety = TopicFactory(slug="ai_safety", name="AI safety")
    unused_topic = TopicFactory(slug="robotics", name="Robotics")

    claim = services.claim_create(text=CLAIM_TEXT, topics=["open_source", "ai_safety"])
    services.appearance_create(
        claim=claim,
        video=video,
        start_seconds=2525,
        end_seconds=2603,
        speaker=zuckerberg,
        quote=QUOTE,
    )
    argument_for = services.argument_create(
        claim=claim,
        stance=Stance.FOR,
        text=FOR_TEXT,
        video=video,
        start_seconds=2534,
        end_seconds=2561,
        speaker=zuckerberg,
    )
    argument_against = services.argument_create(
        claim=claim,
        stance=Stance.AGAINST,
        text=AGAINST_TEXT,
        video=video,
        start_seconds=2500,
        source_url=AGAINST_SOURCE,
    )
    draft_argument = services.argument_create(
        claim=claim, stance=Stance.FOR, text=DRAFT_ARGUMENT_TEXT, video=video, start_seconds=2540
    )
    services.argument_publish(argument=argument_for, actor=None)
    services.argument_publish(argument=argument_against, actor=None)
    claim = services.claim_publish(claim=claim, actor=None)

    draft_claim = services.claim_create(text=DRAFT_CLAIM_TEXT, topics=["open_source"])
    services.appearance_create(
        claim=draft_claim, video=video, start_seconds=100, speaker=zuckerberg, quote="zebra"
    )
    services.argument_create(
        claim=draft_claim,
        stance=Stance.AGAINST,
        text="Zebra counter-argument.",
        video=video,
        start_seconds=120,
    )

    retracted = services.claim_create(text=RETRACTED_TEXT, topics=["ai_safety"])
    services.appearance_create(
        claim=retracted, video=video, start_seconds=2664, speaker=interviewer
    )
    retracted_argument = services.argument_create(
        claim=retracted,
        stance=Stance.FOR,
        text="Plateau argument.",
        video=video,
        start_seconds=2670,
    )
    services.argument_publish(argument=retracted_argument, actor=None)
    services.claim_publish(claim=retracted, actor=None)
    retracted = services.claim_retract(claim=retracted, actor=None, reason=RETRACTION_REASON)

    merged = services.claim_create(text=MERGED_TEXT)
    merged_appearance = services.appearance_create(
        claim=merged, video=other_video, start_seconds=60
    )
    services.claim_publish(claim=merged, actor=None)
    services.claim_merge(keep=claim, duplicates=[merged], actor=None)
    # Publishing needed an appearance, which the merge moved to `claim`; the tests compare the
    # claim's own single appearance, so the moved one goes.
    Appearance.objects.filter(pk=merged_appearance.pk).delete()

    # A fixed publication time, so that responses can be compared to the second.
    Claim.objects.filter(pk=claim.pk).update(published_at=PUBLISHED_AT)

    note = note_services.note_save(
        note=Note(slug=NOTE_SLUG, title=NOTE_TITLE, video=video, body_markdown=NOTE_BODY),
        actor=None,
    )
    companion = note_services.note_save(
        note=Note(
            slug=COMPANION_SLUG, title=COMPANION_TITLE, video=video, body_markdown=COMPANION_BODY
        ),
        actor=None,
    )
    for item in (claim, draft_claim, retracted, merged, note, companion):
        item.refresh_from_db()
    argument_for.refresh_from_db()
    argument_against.refresh_from_db()
    draft_argument.refresh_from_db()
    return WorkedExample(
        channel=channel,
        other_channel=other_channel,
        video=video,
        other_video=other_video,
        zuckerberg=zuckerberg,
        interviewer=interviewer,
        open_source=open_source,
        ai_safety=ai_safety,
        unused_topic=unused_topic,
        claim=claim,
        argument_for=argument_for,
        argument_against=argument_against,
        draft_argument=draft_argument,
        draft_claim=draft_claim,
        retracted=retracted,
        merged=merged,
        note=note,
        companion=companion,
    )


def build_published_claim(
    text: str,
    video: Video,
    *,
    start_seconds: int,
    speaker: Speaker | None = None,
    topics: tuple[str, ...] = (),
) -> Claim:
    """One more published claim, made once in `video`."""
    claim = services.claim_create(text=text, topics=topics)
    services.appearance_create(
        claim=claim, video=video, start_seconds=start_seconds, speaker=speaker
    )
    return services.claim_publish(claim=claim, actor=None)
