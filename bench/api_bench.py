"""Throughput of the public claim list and the home, video and claim pages against a bare Django
view, on 100,000 claims.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/claimtrack_bench \\
        .venv/bin/python bench/api_bench.py [--claims 100000] [--reuse]

Creates (or recreates) a PostgreSQL database of its own, fills it with published claims, their
appearances and arguments, serves the real WSGI application with gunicorn and measures with
wrk, in interleaved rounds: the claim list, a bare view answering the same bytes, the 304 of a
conditional GET, a deep cursor page, and the reader pages: home, a video, a claim. See
bench/README.md for what the numbers mean.
"""

import argparse
import json
import os
import random
import shutil
import signal
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from harness import (
    BenchError,
    Server,
    Wrk,
    WrkTarget,
    copy_rows,
    exit_on_signal,
    expect,
    get,
    log,
    positive,
    prepare_database,
    require_postgres,
    setup_django,
)

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/claimtrack_bench"
#: Written on the databases this script creates: only those does it drop and refill.
BENCH_MARKER = "claimtrack api_bench: generated data, dropped and refilled by bench/api_bench.py"
API_PATH = "/api/v1/claims/?page_size=20"
#: Issue 3's targets; issue 10 raised the 304's from 0.55, once it was answered before DRF.
TARGETS = {"api": 0.4, "not_modified": 0.8}

# Sizes of the generated data besides the claims: "a few hundred videos".
CHANNELS = 20
VIDEOS = 300
SPEAKERS = 120
TOPICS = 60
VIDEO_SECONDS = 3 * 60 * 60


def main() -> int:
    args = _parse_args()
    database_url = os.environ.get("DATABASE_URL", DEFAULT_DATABASE_URL)
    wrk = shutil.which("wrk")
    if wrk is None:
        raise BenchError("needs wrk as the load generator: apt-get install -y wrk")
    require_postgres(database_url)

    fresh = prepare_database(database_url, marker=BENCH_MARKER, reuse=args.reuse)
    setup_django(database_url)
    from django.core.management import call_command

    started = time.monotonic()
    call_command("migrate", verbosity=0)
    log(f"migrated in {time.monotonic() - started:.1f} s")
    if fresh:
        _fill(args.claims, seed=args.seed)
    counts = _counts()
    if counts["published claims"] == 0:
        raise BenchError("the database holds no published claims to list")

    signal.signal(signal.SIGTERM, exit_on_signal)
    with tempfile.TemporaryDirectory(prefix="api_bench-") as workdir:
        server = Server(
            Path(workdir), database_url, workers=args.workers, conn_max_age=args.conn_max_age
        )
        try:
            # Before the benchmark adds its own: what else keeps the machine busy.
            load = os.getloadavg()[0]
            server.start()
            results = _measure(server, Wrk(wrk, Path(workdir), connections=args.connections), args)
        finally:
            server.stop()
    _print_report(results, counts, args, load)
    return 0


def _parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Measure GET /api/v1/claims/ against a bare Django view (see bench/README.md)."
    )
    parser.add_argument(
        "--claims", type=positive, default=100_000, help="published claims to create"
    )
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="measure the database as it is (migrated, not refilled); needed for a database "
        "this script did not create",
    )
    parser.add_argument("--rounds", type=positive, default=10, help="interleaved rounds")
    parser.add_argument(
        "--seconds", type=positive, default=3, help="seconds per endpoint per round"
    )
    parser.add_argument("--workers", type=positive, default=2, help="gunicorn sync workers")
    parser.add_argument("--connections", type=positive, default=4, help="wrk's open connections")
    parser.add_argument("--deep-pages", type=int, default=50, help="`next` links to follow")
    parser.add_argument(
        "--conn-max-age",
        type=int,
        default=60,
        help="DATABASE_CONN_MAX_AGE of the server; 0 opens a connection per request",
    )
    parser.add_argument("--seed", type=int, default=2024, help="seed of the generated data")
    return parser.parse_args()


_VOCABULARY = """
vaccine climate border tariff inflation wages rent energy nuclear wind solar grid oil
crime police court election ballot turnout senate budget deficit debt tax rate bank school
teacher hospital doctor nurse drug price insurance pension migrant asylum job factory farm
water river forest carbon emissions study survey poll percent million billion doubled
halved rose fell since last year decade never always every most fewer more than the a of
in on for by with that this was were has have not no
"""
_WORDS = _VOCABULARY.split()


def _sentence(rng: random.Random, low: int, high: int) -> str:
    words = rng.choices(_WORDS, k=rng.randint(low, high))
    return " ".join(words).capitalize() + "."


def _fill(claim_count: int, *, seed: int) -> None:
    """Published claims with 1–2 appearances and 1–3 arguments each, written with COPY.

    Rows go in as the services would leave them, minus history: bulk writes send no signals, so
    the search vectors are rebuilt and the content revision bumped once at the end.
    """
    from django.core.management.color import no_style
    from django.db import connection, transaction

    from claims.models import Appearance, Argument, Claim, Speaker, Stance, Status
    from claims.search import search_index_rebuild
    from notes import revisions
    from notes.models import Channel, Topic, Video

    # Plain strings: COPY writes values as given, and an enum member is not one.
    published, stances = Status.PUBLISHED.value, list(Stance.values)
    rng = random.Random(seed)
    now = datetime.now(UTC)
    started = time.monotonic()
    with transaction.atomic():
        channels = Channel.objects.bulk_create(
            Channel(slug=f"channel-{i}", name=f"Channel {i}") for i in range(CHANNELS)
        )
        video_ids = [
            video.pk
            for video in Video.objects.bulk_create(
                Video(
                    youtube_id=f"bench{i:06d}",
                    title=f"Debate {i}",
                    channel=channels[i % CHANNELS],
                    duration_seconds=VIDEO_SECONDS,
                )
                for i in range(VIDEOS)
            )
        ]
        speaker_ids = [
            speaker.pk
            for speaker in Speaker.objects.bulk_create(
                Speaker(slug=f"speaker-{i}", name=f"Speaker {i}") for i in range(SPEAKERS)
            )
        ]
        topic_ids = [
            topic.pk
            for topic in Topic.objects.bulk_create(
                Topic(slug=f"topic-{i}", name=f"Topic {i}") for i in range(TOPICS)
            )
        ]

        claims, appearances, arguments, topic_links = [], [], [], []
        for claim_id in range(1, claim_count + 1):
            # Distinct publication times, newest last: the cursor orders by them.
            published_at = now - timedelta(minutes=claim_count - claim_id)
            claims.append((claim_id, _sentence(rng, 8, 24), published, "", now, now, published_at))
            for _ in range(rng.randint(1, 2)):
                start = rng.randrange(VIDEO_SECONDS - 120)
                appearances.append(
                    (
                        len(appearances) + 1,
                        claim_id,
                        rng.choice(video_ids),
                        start,
                        start + rng.randint(5, 90),
                        rng.choice(speaker_ids),
                        _sentence(rng, 6, 20) if rng.random() < 0.6 else "",
                        now,
                    )
                )
            for _ in range(rng.randint(1, 3)):
                on_video = rng.random() < 0.7
                start = rng.randrange(VIDEO_SECONDS) if on_video else None
                arguments.append(
                    (
                        len(arguments) + 1,
                        claim_id,
                        rng.choice(stances),
                        _sentence(rng, 10, 40),
                        rng.choice(speaker_ids),
                        rng.choice(video_ids) if on_video else None,
                        start,
                        None,
                        "" if on_video else f"https://example.org/source/{claim_id}",
                        published,
                        "",
                        now,
                        now,
                    )
                )
            for topic_id in rng.sample(topic_ids, rng.randint(0, 2)):
                topic_links.append((len(topic_links) + 1, claim_id, topic_id))

        _copy_rows(
            Claim, "id text status retraction_reason created_at updated_at published_at", claims
        )
        _copy_rows(
            Appearance,
            "id claim video start_seconds end_seconds speaker quote created_at",
            appearances,
        )
        _copy_rows(
            Argument,
            "id claim stance text speaker video start_seconds end_seconds source_url status "
            "retraction_reason created_at updated_at",
            arguments,
        )
        _copy_rows(Claim.topics.through, "id claim topic", topic_links)
        models = [Claim, Appearance, Argument, Claim.topics.through]
        with connection.cursor() as cursor:
            for statement in connection.ops.sequence_reset_sql(no_style(), models):
                cursor.execute(statement)
        log(
            f"wrote {len(claims):,} claims, {len(appearances):,} appearances, "
            f"{len(arguments):,} arguments in {time.monotonic() - started:.1f} s"
        )

        started = time.monotonic()
        search_index_rebuild()
        revisions.bump()
    log(f"rebuilt the search index in {time.monotonic() - started:.1f} s")

    started = time.monotonic()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    log(f"vacuumed and analyzed in {time.monotonic() - started:.1f} s")


def _copy_rows(model, field_names: str, rows: list[tuple]) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        copy_rows(cursor, model, field_names, rows)


def _counts() -> dict[str, int]:
    from claims.models import Appearance, Argument, Claim
    from notes.models import Video

    return {
        "published claims": Claim.objects.published().count(),
        "appearances": Appearance.objects.count(),
        "arguments": Argument.objects.count(),
        "videos": Video.objects.count(),
    }


# Measuring ------------------------------------------------------------------------------------


def _measure(server: Server, wrk: Wrk, args: argparse.Namespace) -> list[WrkTarget]:
    first = get(server.origin + API_PATH)
    expect(first, 200, "the first page")
    bare_url = server.set_bare_body("list", first.body)
    bare = get(bare_url)
    expect(bare, 200, "the bare view")
    not_modified = get(server.origin + API_PATH, {"If-None-Match": first.headers["ETag"]})
    expect(not_modified, 304, "the conditional GET")

    deep_url, deep = server.origin + API_PATH, first
    for _ in range(args.deep_pages):
        next_url = json.loads(deep.body)["next"]
        if next_url is None:
            break
        deep_url, deep = next_url, get(next_url)
        expect(deep, 200, "a next page")
    depth = args.deep_pages + 1

    claim = json.loads(first.body)["results"][0]
    pages = {
        "home": "/",
        "video_page": f"/videos/{claim['appearances'][0]['video']}/",
        "claim_page": f"/claims/{claim['id']}/",
    }
    page_bodies = {}
    for key, path in pages.items():
        page = get(server.origin + path)
        expect(page, 200, f"the page {path}")
        page_bodies[key] = len(page.body)

    targets = [
        WrkTarget("api", f"GET {API_PATH}", server.origin + API_PATH, body_bytes=len(first.body)),
        WrkTarget(
            "bare", "GET /bench/bare/list/ (same bytes)", bare_url, body_bytes=len(bare.body)
        ),
        WrkTarget(
            "not_modified",
            f"GET {API_PATH}, If-None-Match (304)",
            server.origin + API_PATH,
            headers={"If-None-Match": first.headers["ETag"]},
        ),
        WrkTarget(
            "deep", f"GET page {depth} by cursor, page_size=20", deep_url, body_bytes=len(deep.body)
        ),
        *(
            WrkTarget(key, f"GET {path} (page)", server.origin + path, body_bytes=page_bodies[key])
            for key, path in pages.items()
        ),
    ]
    total = args.rounds * args.seconds * len(targets)
    log(f"measuring: {args.rounds} interleaved rounds of {args.seconds} s each (~{total} s)")
    wrk.rounds(targets, rounds=args.rounds, seconds=args.seconds)
    return targets


# The report -----------------------------------------------------------------------------------


def _print_report(
    targets: list[WrkTarget], counts: dict[str, int], args: argparse.Namespace, load: float
) -> None:
    by_key = {target.key: target for target in targets}
    bare = by_key["bare"].per_second
    print()
    print("Claimtrack API benchmark: " + ", ".join(f"{n:,} {name}" for name, n in counts.items()))
    print(
        f"gunicorn {args.workers} sync workers, DEBUG off, no throttling, "
        f"DATABASE_CONN_MAX_AGE={args.conn_max_age}; wrk 1 thread, {args.connections} "
        f"connections; {args.rounds} interleaved rounds x {args.seconds} s per endpoint"
    )
    # Other processes on the machine move every number; the ratios, measured side by side,
    # move much less.
    print(f"1-minute load average before the benchmark started: {load:.2f}")
    print()
    header = (
        f"{'endpoint':<52} {'body B':>7} {'req/s':>8} {'rounds min-max':>15} "
        f"{'mean ms':>8} {'p99 ms':>7} {'/ bare':>7}  target"
    )
    print(header)
    print("-" * len(header))
    for target in targets:
        rates = target.round_rates
        ratio = target.per_second / bare
        goal = TARGETS.get(target.key)
        verdict = ""
        if goal is not None:
            verdict = f">= {goal:.2f} {'met' if ratio >= goal else 'MISSED'}"
        elif target.key == "deep":
            verdict = f"{target.per_second / by_key['api'].per_second:.2f} x the first page"
        print(
            f"{target.label:<52} {target.body_bytes:>7} {target.per_second:>8.1f} "
            f"{min(rates):>7.1f}-{max(rates):<7.1f} {target.mean_ms:>8.2f} "
            f"{target.p99_ms:>7.2f} {ratio:>7.3f}  {verdict}"
        )


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BenchError as error:
        sys.exit(f"api_bench: {error}")
    except KeyboardInterrupt:
        log("interrupted; the server is stopped")
        sys.exit(130)
