"""How claim-like an extracted sentence is, and which sentences of a note say the same thing.

Pure functions over text: no database, no model. `claims.services.claims_extract_from_note`
scores each timestamped sentence with `claim_likeness` and folds near-identical sentences of
one note into one draft (`group_near_identical`); the triage page shows high scores first and
can hide the drafts scoring under `LOW_SCORE`.

The heuristic, from 0 (not a claim) to 1 (reads like one), is a product of factors, each 1 for
a plain declarative sentence:

- **enough words**: under `MIN_WORDS` words is nothing to publish (0, and no draft is made:
  `worth_a_draft`); then the score grows
  with each word up to `FULL_WORDS`; a run-on past `MAX_WORDS` words is likely several claims
  at once (× 0.7);
- **not a question**: a sentence ending in `?` asks, it does not claim (× 0.2);
- **not a list label**: one ending in `:` introduces what follows (× 0.1);
- **not a heading**: no closing punctuation and most words capitalized (× 0.2);
- **not a list item**: a short lead before a colon (`Name: the person's name.`) labels an
  entry of a list (× 0.5);
- **declarative**: a claim says something *is*, *does*, *will* or *can* be: without a verb
  from `VERBS` and no word ending in -s, -ed or -n't the sentence is likely a fragment (× 0.7);
- **not a duplicate of an existing claim**: a sentence whose normalized text is already a
  claim's scores 0; triage suggests merging it into that claim.
"""

import re
import unicodedata
from collections.abc import Collection, Sequence

MIN_WORDS = 3
FULL_WORDS = 8
MAX_WORDS = 60
#: Drafts scoring under this are "low": triage can hide them.
LOW_SCORE = 0.4
#: Two sentences whose word sets overlap this much (Jaccard) say the same thing.
NEAR_IDENTICAL = 0.85

# Hyphens split words, so that "open-sourcing" and "open sourcing" share theirs.
_WORD_RE = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")
_INTERROGATIVE_END_RE = re.compile(r"\?[\"'”’)\]]*$")
_LABEL_END_RE = re.compile(r":[\"'”’)\]]*$")
_CLOSED_RE = re.compile(r"[.!?…;][\"'”’)\]]*$")
#: A list entry's label: up to `LABEL_WORDS` words, then a colon and more.
_LIST_ITEM_RE = re.compile(r"^\W*([^:.!?]{1,60}):\s+\S")
LABEL_WORDS = 4

VERBS = frozenset(
    """
    is are was were be been being am isn't aren't wasn't weren't
    has have had hasn't haven't hadn't do does did don't doesn't didn't
    will would can could should shall must may might won't can't couldn't shouldn't
    make makes made lead leads led mean means meant need needs get gets got
    go goes went become becomes became take takes took give gives gave
    work works allow allows help helps cause causes keep keeps show shows
    use uses used find finds found think thinks say says said argue argues
    know knows knew see sees saw come comes came want wants let lets put puts
    run runs ran begin begins began grow grows grew seem seems feel feels felt
    build builds built bring brings brought teach teaches taught learn learns learnt
    win wins won lose loses lost pay pays paid buy buys bought write writes wrote
    tend tends matter matters depend depends rely relies improve improves reduce reduces
    increase increases outperform outperforms enable enables require requires
    """.split()  # noqa: SIM905 (a list literal of 180 words reads worse)
)
#: Words too short or common to tell a heading from a sentence by their case.
_SMALL_WORDS = frozenset(
    ["a", "an", "and", "as", "at", "but", "by", "for", "in", "of", "on", "or", "the", "to", "vs"]
)


def words_of(text: str) -> list[str]:
    """The words of `text`, lowercased, accents kept."""
    return [word.lower() for word in _WORD_RE.findall(unicodedata.normalize("NFKC", text))]


def normalized(text: str) -> str:
    """`text` as its words, lowercased and single-spaced: what two duplicates share."""
    return " ".join(words_of(text))


def _looks_like_heading(text: str, words: Sequence[str]) -> bool:
    if _CLOSED_RE.search(text):
        return False
    significant = [w for w in _WORD_RE.findall(text) if w.lower() not in _SMALL_WORDS]
    if not significant:
        return True
    capitalized = sum(1 for word in significant if word[0].isupper() or word[0].isdigit())
    return capitalized / len(significant) >= 0.6


def _is_declarative(words: Sequence[str]) -> bool:
    return any(
        word in VERBS or word.endswith("n't") or (len(word) > 3 and word.endswith(("s", "ed")))
        for word in words
    )


def claim_likeness(
    sentence: str, *, known: Collection[str] = (), words: Sequence[str] | None = None
) -> float:
    """How much `sentence` reads like a claim, from 0.0 to 1.0 (see the module's docstring).

    `known` holds the `normalized` texts of existing claims: a sentence among them scores 0.
    `words` are the sentence's `words_of`, when the caller has them already.
    """
    text = sentence.strip()
    words = words_of(text) if words is None else words
    if len(words) < MIN_WORDS or " ".join(words) in known:
        return 0.0
    score = min(1.0, 0.4 + 0.6 * (len(words) - MIN_WORDS) / (FULL_WORDS - MIN_WORDS))
    if len(words) > MAX_WORDS:
        score *= 0.7
    if _INTERROGATIVE_END_RE.search(text):
        score *= 0.2
    elif _LABEL_END_RE.search(text):
        score *= 0.1
    elif _looks_like_heading(text, words):
        score *= 0.2
    label = _LIST_ITEM_RE.match(text)
    if label and len(words_of(label[1])) <= LABEL_WORDS:
        score *= 0.5
    if not _is_declarative(words):
        score *= 0.7
    return round(score, 3)


def worth_a_draft(sentence: str) -> bool:
    """Whether a sentence has words enough to be a claim at all (`MIN_WORDS`): a name or a
    label alone (`Lian Weng`, `Zero: perpendicular.`) is not extracted."""
    return len(words_of(sentence)) >= MIN_WORDS


def near_identical(a: str, b: str) -> bool:
    """Whether two sentences say the same thing in nearly the same words."""
    return words_near_identical(frozenset(words_of(a)), frozenset(words_of(b)))


def words_near_identical(first: frozenset[str], second: frozenset[str]) -> bool:
    """`near_identical` for two sentences' sets of words, each made once: a note's sentences
    are compared with one another and with its discarded drafts, so tokenizing them for each
    comparison would cost more than all the rest of an extraction."""
    if not first or not second:
        return first == second
    # Jaccard ≥ t needs the smaller set to be at least t of the larger one: most pairs stop here.
    small, large = sorted((len(first), len(second)))
    if small / large < NEAR_IDENTICAL:
        return False
    return len(first & second) / len(first | second) >= NEAR_IDENTICAL


def group_near_identical(sentences: Sequence[str]) -> list[list[int]]:
    """Indexes of `sentences`, grouped: each group's sentences are near-identical to its first,
    which comes first in the note. Groups come in the order of their first sentence."""
    return group_near_identical_words([frozenset(words_of(sentence)) for sentence in sentences])


def group_near_identical_words(word_sets: Sequence[frozenset[str]]) -> list[list[int]]:
    """`group_near_identical` for sentences given as their sets of words."""
    groups: list[list[int]] = []
    heads: list[tuple[frozenset[str], int]] = []
    for index, words in enumerate(word_sets):
        size = len(words)
        for group, (head, head_size) in zip(groups, heads, strict=True):
            # The size test of `words_near_identical`, inlined: a note's sentences are
            # compared pairwise, and nearly every pair stops here.
            if head_size and size and min(size, head_size) < NEAR_IDENTICAL * max(size, head_size):
                continue
            if words_near_identical(words, head):
                group.append(index)
                break
        else:
            groups.append([index])
            heads.append((words, size))
    return groups
