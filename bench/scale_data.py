"""The data of the scale benchmark: N published claims written by COPY, and a vault of notes.

    .venv/bin/python bench/scale_data.py postgres://postgres@127.0.0.1:5432/claimtrack_scale \\
        --fill --claims 1000000

Run by `scale_bench.py` once per database, in a process of its own because Django talks to
one database per process: it migrates the database, fills it (with `--fill`), makes sure the
benchmark's superuser exists, checks the generated search vectors against `claims.search`, and
prints what it did as one line of JSON. `write_vault` writes the notes for the importer.

The text comes from a fixed vocabulary with a Zipf-like distribution: English stop words, a
few hundred real words of the vault's subjects, then tens of thousands of made-up words. So
`COMMON_WORD` is in about half of the claims (counting their quotes and arguments, as search
does), `Vocabulary.rare_word` in about one in five thousand, and `ABSENT_WORD` in none: no
made-up word holds a q or an x.
"""

import argparse
import base64
import hashlib
import json
import multiprocessing
import os
import random
import resource
import sys
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from functools import cache, cached_property
from itertools import accumulate
from operator import itemgetter
from pathlib import Path

from harness import BenchError, database_name, log, positive, setup_django

# The vocabulary --------------------------------------------------------------------------------

#: English stop words, most frequent first: in the text, not in any search vector.
_STOP_TEXT = """
the of and to a in is that for on with as by it are was be this than more from at an or not
will can has have its their they which when into about over all only other most some these
such between through
"""
STOP_WORDS = _STOP_TEXT.split()

#: Real words of the vault's subjects, most frequent first; none is a stop word, and no two
#: share a stem. The first is `COMMON_WORD`.
_HEAD_TEXT = """
model data training safety open source compute risk research company system government
people chip energy cost market policy law public user power price growth study team product
network image language agent benchmark scale regulation evidence climate vote budget
election court survey percent million billion job wage school doctor hospital drug vaccine
patient tax bank debt inflation tariff border factory farm water river forest carbon
emission grid solar wind nuclear oil battery car road city rent housing crime police prison
teacher student university paper journal review experiment sample error accuracy weight
parameter token context memory latency inference server cloud hardware software code bug
release version license developer platform app feature interface design camera sensor lens
pixel photo video audio speech text translation search answer question prompt reasoning
planning robot worker contract customer revenue profit loss investor fund startup founder
board strategy competition monopoly antitrust privacy security attack defense threat misuse
weapon bio cyber campaign media news journalist moderation censorship trust bias fairness
audit standard leaderboard metric score evaluation dataset label annotation crowd quality
noise signal transformer attention layer embedding vector gradient optimizer architecture
pretraining finetuning alignment feedback reward preference human expert society history
future decade century generation culture education health care insurance pension migrant
asylum population economy efficiency innovation patent invention discovery science physics
chemistry biology medicine gene protein cell brain neuron mind consciousness intelligence
ability skill task test exam
"""
HEAD_WORDS = _HEAD_TEXT.split()

COMMON_WORD = HEAD_WORDS[0]
#: Made up: no generated word holds a q or an x.
ABSENT_WORD = "quixotic"

# A made-up word is two or three of these syllables.
_SYLLABLE_PARTS = "b c d f g h k l m n p r s t v w b d k l m n r s t v br dr gr pl st tr"
_ONSETS = _SYLLABLE_PARTS.split()
_NUCLEI = ["a", "e", "i", "o", "u", "a", "e", "i", "o", "a", "ai", "ou"]
_CODAS = ["", "", "", "", "", "", "n", "r", "l", "m", "s"]
#: The made-up words follow the real ones in the ranking; the vocabulary never changes with
#: the benchmark's seed, so the words it names stay the same.
_TAIL_WORDS = 40_000
_VOCABULARY_SEED = "claimtrack scale vocabulary"

# Zipf-Mandelbrot: the word of rank r (from 1) is drawn with weight 1 / (r + shift). The shift
# flattens the head so that the commonest word is in about 48% of claims rather than all.
_ZIPF_SHIFT = 5.5
#: The rank whose word is in about one claim in five thousand.
_RARE_RANK = 21_000
_TABLE_BITS = 22
# Shares of the tokens of a sentence: stop words, numbers, and the rest are vocabulary words.
_STOP_SHARE = 0.37
_NUMBER_SHARE = 0.03


def _made_up_words(count: int, taken: set[str]) -> list[str]:
    rng = random.Random(_VOCABULARY_SEED)
    words: dict[str, None] = {}
    while len(words) < count:
        word = "".join(
            rng.choice(_ONSETS) + rng.choice(_NUCLEI) + rng.choice(_CODAS)
            for _ in range(rng.choice((2, 2, 3)))
        )
        if word not in taken:
            words.setdefault(word, None)
    return list(words)


class Vocabulary:
    """Every token a sentence may hold, and the cumulative weights to draw them with."""

    def __init__(self) -> None:
        ranked = HEAD_WORDS + _made_up_words(_TAIL_WORDS, set(HEAD_WORDS) | set(STOP_WORDS))
        numbers = [str(n) for n in range(1, 101)] + [str(year) for year in range(1990, 2026)]
        zipf = [1 / (rank + _ZIPF_SHIFT) for rank in range(1, len(ranked) + 1)]
        stop = [1 / rank for rank in range(1, len(STOP_WORDS) + 1)]
        stop_scale, zipf_scale = (
            _STOP_SHARE / sum(stop),
            (1 - _STOP_SHARE - _NUMBER_SHARE) / sum(zipf),
        )
        weights = (
            [w * stop_scale for w in stop]
            + [_NUMBER_SHARE / len(numbers)] * len(numbers)
            + [w * zipf_scale for w in zipf]
        )
        self.tokens = STOP_WORDS + numbers + ranked
        self.cumulative = list(accumulate(weights))
        self.ranked = ranked
        self.ranked_cumulative = list(accumulate(zipf))

    @property
    def rare_word(self) -> str:
        return self.ranked[_RARE_RANK - 1]

    @cached_property
    def table(self) -> list[str]:
        """`2 ** _TABLE_BITS` slots, each token filling a share of them as large as its weight."""
        slots, filled, total = [], 0, self.cumulative[-1]
        for token, cumulative in zip(self.tokens, self.cumulative, strict=True):
            end = round(cumulative / total * (1 << _TABLE_BITS))
            slots.extend([token] * (end - filled))
            filled = end
        return slots

    def words(self, rng: random.Random, low: int, high: int) -> list[str]:
        """Vocabulary words only (no stop words, no numbers): for titles and names."""
        return rng.choices(
            self.ranked, cum_weights=self.ranked_cumulative, k=rng.randint(low, high)
        )


class Sentences:
    """Sentences of vocabulary tokens from one seeded generator, the tokens drawn in bulk.

    A token is a random slot of `Vocabulary.table`: a few big-integer operations and one
    itemgetter draw thousands at once, three times as fast as `random.choices` with weights.
    """

    def __init__(self, rng: random.Random, *, batch: int = 1 << 16) -> None:
        self.rng = rng
        self.table = vocabulary().table
        self.batch = batch
        self.tokens: tuple[str, ...] = ()
        self.position = 0

    def __call__(self, low: int, high: int) -> str:
        """A sentence of `low` to `high` tokens, capitalized, with a full stop."""
        count = low + int(self.rng.random() * (high - low + 1))
        if self.position + count > len(self.tokens):
            self._draw()
        words = self.tokens[self.position : self.position + count]
        self.position += count
        return " ".join(words).capitalize() + "."

    def _draw(self) -> None:
        raw = self.rng.randbytes(4 * self.batch)
        slots = int.from_bytes(raw, sys.byteorder) & _slot_mask(self.batch)
        indexes = memoryview(slots.to_bytes(len(raw), sys.byteorder)).cast("I")
        self.tokens = self.tokens[self.position :] + itemgetter(*indexes)(self.table)
        self.position = 0


@cache
def _slot_mask(batch: int) -> int:
    """Keeps the low `_TABLE_BITS` bits of each of `batch` 4-byte unsigned integers."""
    lane = ((1 << _TABLE_BITS) - 1).to_bytes(4, sys.byteorder)
    return int.from_bytes(lane * batch, sys.byteorder)


_vocabulary: Vocabulary | None = None


def vocabulary() -> Vocabulary:
    global _vocabulary
    if _vocabulary is None:
        _vocabulary = Vocabulary()
    return _vocabulary


# What is generated ------------------------------------------------------------------------------

VIDEO_SECONDS = 3 * 60 * 60
#: Claims per chunk: each chunk is generated, copied and committed by one worker on its own.
CHUNK = 20_000
#: The benchmark's superuser, made in every database it fills or reuses.
ADMIN_USERNAME = "bench-admin"
ADMIN_PASSWORD = "bench-admin-password"


@dataclass(frozen=True)
class Plan:
    """How much of everything: claims are given, the rest grows with them."""

    claims: int
    seed: int

    @property
    def channels(self) -> int:
        return max(20, self.claims // 20_000)

    @property
    def videos(self) -> int:
        # Thousands at a million claims: about 250 claims per video.
        return max(300, self.claims // 250)

    @property
    def speakers(self) -> int:
        return max(120, self.claims // 1_000)

    @property
    def topics(self) -> int:
        return max(60, self.claims // 2_500)


#: A newline inside a value, in COPY's text format.
_COPY_NEWLINE = "\\n"


def _copy_text(cursor, table: str, columns: str, lines: list[str]) -> None:
    """COPY lines already in PostgreSQL's text format (tab-separated, `\\N` for NULL)."""
    with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
        for start in range(0, len(lines), 5_000):
            copy.write("".join(lines[start : start + 5_000]))


class Tables:
    """Table and column names, read from the models once so that a renamed column is noticed."""

    def __init__(self) -> None:
        from claims.models import Appearance, Argument, Claim, Speaker
        from notes.models import Channel, Topic, Video

        def spec(model, fields: str) -> tuple[str, str]:
            opts = model._meta
            columns = ", ".join(f'"{opts.get_field(name).column}"' for name in fields.split())
            return f'"{opts.db_table}"', columns

        self.channel = spec(Channel, "id slug name")
        self.video = spec(Video, "id youtube_id title channel duration_seconds")
        self.speaker = spec(Speaker, "id slug name")
        self.topic = spec(Topic, "id slug name")
        self.claim = spec(
            Claim,
            "id text status retraction_reason created_at updated_at published_at search_vector "
            "version",
        )
        self.appearance = spec(
            Appearance, "id claim video start_seconds end_seconds speaker quote created_at version"
        )
        self.argument = spec(
            Argument,
            "id claim stance text speaker video start_seconds end_seconds source_url status "
            "retraction_reason created_at updated_at version",
        )
        self.claim_topic = spec(Claim.topics.through, "id claim topic")


def _connect(database_url: str):
    import psycopg

    connection = psycopg.connect(database_url)
    # Commits need not wait for the disk: a crash mid-fill leaves a database the next run
    # drops anyway.
    connection.execute("SET synchronous_commit = off")
    connection.execute("SET maintenance_work_mem = '256MB'")
    connection.execute("SET temp_buffers = '64MB'")
    # Big enough that the GIN index takes rows in bulk, small enough that it merges them in
    # while the claims are still being written.
    connection.execute("SET gin_pending_list_limit = '64MB'")
    try:
        # The rows are valid by construction: checking each foreign key row by row costs more
        # than generating the row. Needs a superuser; without one the checks simply run.
        connection.execute("SET session_replication_role = replica")
    except psycopg.errors.InsufficientPrivilege:
        connection.rollback()
    connection.commit()
    return connection


def fill(database_url: str, plan: Plan, *, jobs: int) -> dict[str, dict[str, float]]:
    """Fill the (migrated, empty) database.

    Returns the seconds each step took, and the CPU seconds spent in Python and in PostgreSQL:
    on a machine shared with other work, the time depends on what they leave, the CPU does not.
    """
    tables = Tables()
    seconds: dict[str, float] = {}
    cpu = {"python": -_python_cpu_seconds(), "postgresql": 0.0}
    started = time.monotonic()
    with _connect(database_url) as connection:
        _fill_small_tables(connection, tables, plan)
        indexes = _drop_secondary_indexes(connection, tables)
        cpu["postgresql"] += _server_cpu_seconds(connection)
    seconds["small tables, B-tree indexes dropped"] = time.monotonic() - started

    step = time.monotonic()
    chunks = [
        (database_url, plan, number, start, min(start + CHUNK, plan.claims + 1))
        for number, start in enumerate(range(1, plan.claims + 1, CHUNK))
    ]
    # Forked workers, each with a connection of its own: while one generates text in Python,
    # PostgreSQL computes the other's search vectors.
    with multiprocessing.get_context("fork").Pool(jobs) as pool:
        for done, server_cpu in enumerate(pool.imap_unordered(_fill_chunk, chunks), start=1):
            cpu["postgresql"] += server_cpu
            if done % 10 == 0 or done == len(chunks):
                log(f"{min(done * CHUNK, plan.claims):,} of {plan.claims:,} claims written")
    seconds["claims, appearances, arguments, vectors"] = time.monotonic() - step

    step = time.monotonic()
    cpu["postgresql"] += _run_in_parallel(database_url, _finishing_tasks(tables, indexes), jobs)
    seconds["indexes, vacuum analyze"] = time.monotonic() - step
    seconds["total"] = time.monotonic() - started
    cpu["python"] += _python_cpu_seconds()
    return {"seconds": seconds, "cpu_seconds": cpu}


def _python_cpu_seconds() -> float:
    """This process's CPU seconds and those of its finished children (the pool workers)."""
    return sum(
        usage.ru_utime + usage.ru_stime
        for usage in map(resource.getrusage, (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
    )


def _server_cpu_seconds(connection) -> float:
    """The CPU seconds of the connection's server process so far, read from /proc when the
    server runs on this machine; 0 when it does not, or /proc will not tell."""
    if connection.info.host not in ("127.0.0.1", "localhost", "::1") and not (
        connection.info.host.startswith("/")
    ):
        return 0.0
    try:
        process = Path(f"/proc/{connection.info.backend_pid}")
        if process.joinpath("comm").read_text().strip() != "postgres":
            return 0.0
        # Fields 14 and 15 of stat, counted after the command's closing parenthesis.
        fields = process.joinpath("stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _fill_small_tables(connection, tables: Tables, plan: Plan) -> None:
    words = vocabulary()
    rng = random.Random(f"{plan.seed}:small tables")
    first_names = words.ranked[300:360]
    last_names = words.ranked[400:460]
    with connection.cursor() as cursor:
        _copy_text(
            cursor,
            *tables.channel,
            [
                f"{i}\tchannel-{i}\t{words.ranked[1000 + i].capitalize()} Talks\n"
                for i in range(1, plan.channels + 1)
            ],
        )
        _copy_text(
            cursor,
            *tables.video,
            [
                f"{i}\t{_video_id(plan.seed, i)}\t{' '.join(words.words(rng, 3, 8)).capitalize()}"
                f"\t{1 + i % plan.channels}\t{VIDEO_SECONDS}\n"
                for i in range(1, plan.videos + 1)
            ],
        )
        _copy_text(
            cursor,
            *tables.speaker,
            [
                f"{i}\tspeaker-{i}\t{first_names[i % 60].capitalize()} "
                f"{last_names[(i // 60) % 60].capitalize()}\n"
                for i in range(1, plan.speakers + 1)
            ],
        )
        _copy_text(
            cursor,
            *tables.topic,
            [
                f"{i}\ttopic-{i}\t{' '.join(words.words(rng, 1, 3)).capitalize()}\n"
                for i in range(1, plan.topics + 1)
            ],
        )
    connection.commit()


def _video_id(seed: int, number: int) -> str:
    """An 11-character YouTube id, the same for the same seed and number."""
    digest = hashlib.blake2b(f"{seed}:video:{number}".encode(), digest_size=9).digest()
    return base64.urlsafe_b64encode(digest).decode()[:11]


def _drop_secondary_indexes(connection, tables: Tables) -> dict[str, list[str]]:
    """Drop the B-tree indexes of the big tables that no constraint needs; returns how to
    remake them, by table.

    One CREATE INDEX over a filled table sorts once; keeping the index during the COPY would
    insert into it row by row. The GIN index over the search vectors stays: its pending list
    (`gin_pending_list_limit`, see `_connect`) takes the new rows in bulk and merges them into
    the index as it fills, in one worker while the other generates, instead of one long build
    on one core at the end.
    """
    big = [tables.claim[0], tables.appearance[0], tables.argument[0], tables.claim_topic[0]]
    rows = connection.execute(
        "SELECT i.indrelid::regclass::text, i.indexrelid::regclass::text, "
        "pg_get_indexdef(i.indexrelid) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
        "WHERE i.indrelid = ANY(%s::regclass[]) AND NOT i.indisprimary "
        "AND c.relam = (SELECT oid FROM pg_am WHERE amname = 'btree') "
        "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)",
        [[name.strip('"') for name in big]],
    ).fetchall()
    definitions: dict[str, list[str]] = {}
    for table, name, definition in rows:
        connection.execute(f"DROP INDEX {name}")
        definitions.setdefault(f'"{table}"', []).append(definition)
    connection.commit()
    return definitions


def _finishing_tasks(tables: Tables, indexes: dict[str, list[str]]) -> list[list[str]]:
    """The indexes to remake, the sequences to move past the ids, VACUUM (ANALYZE) of it all.

    Each task is a list of statements run in order on one connection, largest first. The
    claims' VACUUM also merges what is left in the GIN index's pending list.
    """
    order = [
        tables.claim[0],
        tables.argument[0],
        tables.appearance[0],
        tables.claim_topic[0],
        tables.channel[0],
        tables.video[0],
        tables.speaker[0],
        tables.topic[0],
    ]
    return [
        [
            *indexes.get(table, []),
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
            f"coalesce(max(id), 1), max(id) IS NOT NULL) FROM {table}",
            f"VACUUM (ANALYZE) {table}",
        ]
        for table in order
    ]


def _run_in_parallel(database_url: str, tasks: list[list[str]], jobs: int) -> float:
    """Run the tasks on `jobs` connections; returns the CPU seconds the server spent."""
    with multiprocessing.get_context("fork").Pool(jobs) as pool:
        return sum(
            pool.imap_unordered(
                _run_statements, [(database_url, statements) for statements in tasks]
            )
        )


def _run_statements(task: tuple[str, list[str]]) -> float:
    database_url, statements = task
    with _connect(database_url) as connection:
        connection.autocommit = True
        for statement in statements:
            connection.execute(statement)
        return _server_cpu_seconds(connection)


def _fill_chunk(task: tuple[str, Plan, int, int, int]) -> float:
    """Generate claims `start` to `stop - 1` with their rows, and write them in one transaction;
    returns the CPU seconds the server spent.

    Ids follow from the claim's id (two appearance ids, three argument ids and two topic-link
    ids per claim, some unused), so chunks are independent and the data does not depend on
    how many workers wrote it.
    """
    database_url, plan, number, start, stop = task
    tables = Tables()
    now = datetime.now(UTC).isoformat()
    staged, appearances, arguments, topic_links = _generate_chunk(plan, number, start, stop, now)
    claims_table, claim_columns = tables.claim
    with _connect(database_url) as connection, connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMP TABLE IF NOT EXISTS staged_claim "
            "(id bigint, text text, quotes text, arguments text) ON COMMIT DELETE ROWS"
        )
        _copy_text(cursor, "staged_claim", "id, text, quotes, arguments", staged)
        # One publication a minute, the newest claim now: the cursor orders by them.
        cursor.execute(
            f"INSERT INTO {claims_table} ({claim_columns}) "
            "SELECT id, text, 'published', '', %(now)s::timestamptz, %(now)s::timestamptz, "
            "%(now)s::timestamptz - (%(claims)s - id) * interval '1 minute', "
            "setweight(to_tsvector('english', text), 'A') "
            "|| setweight(to_tsvector('english', quotes), 'B') "
            "|| setweight(to_tsvector('english', arguments), 'C'), 1 "
            "FROM staged_claim",
            {"now": now, "claims": plan.claims},
        )
        _copy_text(cursor, *tables.appearance, appearances)
        _copy_text(cursor, *tables.argument, arguments)
        _copy_text(cursor, *tables.claim_topic, topic_links)
        connection.commit()
        return _server_cpu_seconds(connection)


def _generate_chunk(
    plan: Plan, number: int, start: int, stop: int, now: str
) -> tuple[list[str], list[str], list[str], list[str]]:
    """The rows of claims `start` to `stop - 1`, as COPY lines: the staged claims (id, text,
    quotes, argument texts), their appearances, arguments and topic links."""
    rng = random.Random(f"{plan.seed}:claims:{number}")
    sentence, rand = Sentences(rng), rng.random
    videos, speakers, topics = plan.videos, plan.speakers, plan.topics
    staged, appearances, arguments, topic_links = [], [], [], []
    for claim_id in range(start, stop):
        quotes = []
        for slot in range(1 + (rand() < 0.5)):
            begin = int(rand() * (VIDEO_SECONDS - 120))
            quote = sentence(8, 20) if rand() < 0.6 else ""
            quotes.append(quote)
            appearances.append(
                f"{2 * claim_id - 1 + slot}\t{claim_id}\t{1 + int(rand() * videos)}\t{begin}\t"
                f"{begin + 5 + int(rand() * 86)}\t{1 + int(rand() * speakers)}\t{quote}\t{now}\t1\n"
            )
        texts = []
        for slot in range(1 + int(rand() * 3)):
            text = sentence(10, 28)
            texts.append(text)
            if rand() < 0.7:
                video, second = 1 + int(rand() * videos), int(rand() * VIDEO_SECONDS)
                evidence = f"{video}\t{second}\t\\N\t"
            else:
                evidence = f"\\N\t\\N\t\\N\thttps://example.org/source/{claim_id}/{slot}"
            stance = "for" if rand() < 0.5 else "against"
            arguments.append(
                f"{3 * claim_id - 2 + slot}\t{claim_id}\t{stance}\t{text}\t"
                f"{1 + int(rand() * speakers)}\t{evidence}\tpublished\t\t{now}\t{now}\t1\n"
            )
        # 0, 1 or 2 distinct topics (random.sample costs more than the rest of the claim).
        first, second = 1 + int(rand() * topics), 1 + int(rand() * (topics - 1))
        for slot, topic in enumerate((first, second + (second >= first))[: int(rand() * 3)]):
            topic_links.append(f"{2 * claim_id - 1 + slot}\t{claim_id}\t{topic}\n")
        # Quotes and argument texts joined as `claims.search` joins them (by id, a newline
        # apart), so that `_fill_chunk` computes the vector the site would.
        staged.append(
            f"{claim_id}\t{sentence(6, 18)}\t"
            f"{_COPY_NEWLINE.join(quotes)}\t{_COPY_NEWLINE.join(texts)}\n"
        )
    return staged, appearances, arguments, topic_links


# The vault --------------------------------------------------------------------------------------

#: Notes per folder of the vault: the importer is given folders, never thousands of paths.
NOTES_PER_FOLDER = 50
_LINK_TARGETS = 2_000
_NOTE_CHANNELS = 100


def vault_folder(root: Path, number: int) -> Path:
    """The folder that holds note `number` (from 0) of the vault under `root`."""
    return root / f"part-{number // NOTES_PER_FOLDER:04d}"


def write_vault(root: Path, count: int, *, seed: int) -> None:
    """Write notes 0 to `count - 1` under `root`, in folders of `NOTES_PER_FOLDER`.

    Each note depends only on the seed and its number, so the first 500 notes of a vault of
    20,000 are the notes of a vault of 500.
    """
    words = vocabulary()
    targets = [
        "_".join(words.ranked[(7 * n) % 3000 : (7 * n) % 3000 + 2]) for n in range(_LINK_TARGETS)
    ]
    for number in range(count):
        folder = vault_folder(root, number)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"note-{number:06d}.md").write_text(_note(number, seed, targets))


def _note(number: int, seed: int, targets: list[str]) -> str:
    """One vault note in the sample's format, mixing the timestamp and wikilink forms."""
    words = vocabulary()
    rng = random.Random(f"{seed}:note:{number}")
    sentence = Sentences(rng, batch=2048)
    title = f"{' '.join(words.words(rng, 2, 6)).capitalize()} {number}"
    lines = ["---", f"title: {title}", f"videoId: {_video_id(seed, -1 - number)}"]
    if rng.random() < 0.3:
        lines.append(f"tags: [{', '.join(words.words(rng, 1, 3))}]")
    channel = f"channel_{rng.randrange(_NOTE_CHANNELS)}"
    lines += ["---", "", f"From: [[{channel}]] <br/> ", ""]
    second = rng.randrange(60)
    for section in range(rng.randint(3, 10)):
        if section:
            lines += [f"## {' '.join(words.words(rng, 2, 5)).capitalize()}"]
        for _ in range(rng.randint(1, 3)):
            as_list = rng.random() < 0.15
            sentences = []
            for _ in range(rng.randint(2, 5)):
                second += rng.randint(5, 60)
                sentences.append(_note_sentence(rng, sentence, targets, second))
            if as_list:
                lines += [f"- {sentence}" for sentence in sentences]
            else:
                lines.append(" ".join(sentences))
            lines.append("")
    return "\n".join(lines)


def _note_sentence(rng: random.Random, sentence: Sentences, targets: list[str], second: int) -> str:
    text = sentence(10, 28)
    if rng.random() < 0.3:
        target = rng.choice(targets)
        label = target.replace("_", " ")
        link = rng.choice((f"[[{target}]]", f"[[{target} | {label}]]", f"[[{target}|{label}]]"))
        head, _, tail = text.partition(" ")
        text = f"{head} {link} {tail}"
    stamp = _clock(second)
    kind = rng.random()
    if kind < 0.6:
        return f"{text[:-1]} [{stamp}]."
    if kind < 0.7:
        return f'<a class="yt-timestamp" data-t="{stamp}">[{stamp}]</a> {text}'
    if kind < 0.8:
        short = f"{second // 60:02d}:{second % 60:02d}" if second < 3600 else stamp.lstrip("0")
        return f"{text[:-1]} [{short}]."
    if kind < 0.85:
        return f"{text[:-1]} ([{stamp}](#))."
    return text


def _clock(second: int) -> str:
    return f"{second // 3600:02d}:{second // 60 % 60:02d}:{second % 60:02d}"


# The command line -------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(
        description="Migrate (and with --fill, fill) one database of the scale benchmark."
    )
    parser.add_argument("database_url")
    parser.add_argument("--fill", action="store_true", help="fill the (empty) database")
    parser.add_argument("--claims", type=positive, default=1_000_000)
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--jobs", type=positive, default=2, help="worker processes")
    parser.add_argument(
        "--count-words", default="", help="comma-separated words to count the claims of"
    )
    args = parser.parse_args()

    setup_django(args.database_url)
    from django.core.management import call_command
    from django.db import connections

    report: dict = {"database": database_name(args.database_url)}
    started = time.monotonic()
    call_command("migrate", verbosity=0)
    report["migrate_seconds"] = time.monotonic() - started
    if args.fill:
        plan = Plan(claims=args.claims, seed=args.seed)
        # Forked workers must not share this process's connection.
        connections.close_all()
        report["fill"] = fill(args.database_url, plan, jobs=args.jobs)
        report["plan"] = asdict(plan)
        report["vectors_differ"] = _vectors_differ_from_site(plan)
    _bump_revision()
    _ensure_admin()
    report["counts"] = _counts()
    report["word_claims"] = {
        word: _claims_matching(word) for word in filter(None, args.count_words.split(","))
    }
    print(json.dumps(report))
    return 0


def _bump_revision() -> None:
    """Bulk rows send no signals: tell the site its content changed, as bulk writers do."""
    from notes import revisions

    revisions.bump()


def _ensure_admin() -> None:
    from django.contrib.auth import get_user_model

    user_model = get_user_model()
    user = user_model.objects.filter(username=ADMIN_USERNAME).first()
    if user is None:
        user_model.objects.create_superuser(ADMIN_USERNAME, "", ADMIN_PASSWORD)
    elif not (user.is_superuser and user.check_password(ADMIN_PASSWORD)):
        user.is_superuser = user.is_staff = user.is_active = True
        user.set_password(ADMIN_PASSWORD)
        user.save()


def _vectors_differ_from_site(plan: Plan) -> int:
    """How many of a sample of claims get another vector when `claims.search` computes it.

    The generator writes the vectors in its own SQL, for speed; this catches the day the site
    computes them differently.
    """
    from claims.models import Claim
    from claims.search import search_index_refresh_claims

    sample = sorted(random.Random(plan.seed).sample(range(1, plan.claims + 1), 50))
    before = dict(Claim.objects.filter(pk__in=sample).values_list("pk", "search_vector"))
    search_index_refresh_claims(sample)
    after = dict(Claim.objects.filter(pk__in=sample).values_list("pk", "search_vector"))
    return sum(before[pk] != after[pk] for pk in sample)


def _counts() -> dict[str, int]:
    from claims.models import Appearance, Argument, Claim
    from notes.models import Video

    return {
        "published claims": Claim.objects.published().count(),
        "appearances": Appearance.objects.count(),
        "arguments": Argument.objects.count(),
        "videos": Video.objects.count(),
    }


def _claims_matching(word: str) -> int:
    from claims.models import Claim
    from claims.search import claims_matching

    return claims_matching(Claim.objects.published(), word).order_by().count()


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BenchError as error:
        sys.exit(f"scale_data: {error}")
