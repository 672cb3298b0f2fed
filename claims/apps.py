from django.apps import AppConfig


class ClaimsConfig(AppConfig):
    name = "claims"
    verbose_name = "Claims and arguments"

    def ready(self) -> None:
        from claims import search
        from claims.models import Appearance, Argument, Claim, Speaker
        from notes import revisions

        revisions.track(Claim, Appearance, kind="claims")
        revisions.track(Argument, kind="arguments")
        revisions.track(Speaker, kind="speakers")
        # The public sees a speaker named on a published claim's appearance or on one of its
        # published arguments (`selectors.speaker_list`): who that is moves with these.
        revisions.track_changes(Claim, fields=["status"], kind="speakers")
        revisions.track_changes(
            Appearance, fields=["speaker", "claim"], kind="speakers", naming="speaker"
        )
        revisions.track_changes(
            Argument, fields=["speaker", "claim", "status"], kind="speakers", naming="speaker"
        )

        # The search index is derived data, kept fresh by signal receivers like a cache would
        # be; `claims.search.connect_receivers` says why signals are fine for it.
        search.connect_receivers()
