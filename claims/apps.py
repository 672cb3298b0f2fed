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

        # The search index is derived data, kept fresh by signal receivers like a cache would
        # be; `claims.search.connect_receivers` says why signals are fine for it.
        search.connect_receivers()
