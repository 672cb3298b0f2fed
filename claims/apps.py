import orjson
from django.apps import AppConfig
from psycopg.types import json as psycopg_json


class ClaimsConfig(AppConfig):
    name = "claims"
    verbose_name = "Claims and arguments"

    def ready(self) -> None:
        from claims import search
        from claims.models import Appearance, Argument, Claim, Speaker
        from notes import revisions

        revisions.track(Claim, kind="claims", details=_claim_details)
        revisions.track(Appearance, kind="claims", details=_claim_part_details)
        revisions.track(Argument, kind="arguments", details=_argument_details)
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

        # The lists read each claim's nested rows as `json` values (`claims.selectors`), a few
        # dozen a page: orjson parses them several times faster than the standard library.
        # (Django reads `jsonb` as text, for its JSONField to parse: this leaves it alone.)
        psycopg_json.set_json_loads(orjson.loads)


# The claims whose details (`notes.revisions.DETAIL_KINDS`) show a saved row: a claim's detail
# shows its appearances and arguments, each argument's premise with the premise's balance of
# arguments, and, once merged, the claim it was merged into.


def _claim_details(claim) -> list[tuple[str, int]]:
    from claims.models import Argument, Claim

    citing = Argument.objects.filter(premise_id=claim.pk).values_list("claim_id", flat=True)
    merged = Claim.objects.filter(merged_into_id=claim.pk).values_list("pk", flat=True)
    return [("claims", pk) for pk in {claim.pk, *citing, *merged}]


def _claim_part_details(part) -> list[tuple[str, int]]:
    left = getattr(part, "claim_left_id", None)
    return [("claims", pk) for pk in {part.claim_id, left} if pk is not None]


def _argument_details(argument) -> list[tuple[str, int]]:
    from claims.models import Argument

    # Its claim's balance shows wherever that claim is a premise.
    citing = Argument.objects.filter(premise_id=argument.claim_id).values_list(
        "claim_id", flat=True
    )
    return [*_claim_part_details(argument), *(("claims", pk) for pk in citing)]
