"""Books rules: Gutenberg boilerplate stripping, MinHash signatures, exact containment, stable-order
removals, and the Beam near-dedup end to end (TestPipeline + assert_that)."""

from __future__ import annotations

import random

import numpy as np
from datasketch import MinHash

from filters.base import Drop
from filters.books import StripGutenberg, strip_gutenberg
from filters.minhash import (
    candidate_pairs,
    containment,
    decide_removals,
    order_key,
    permutations,
    shingle_hashes,
    signature,
)
from pipeline.document import Document

# A seeded generator of plain narrative sentences: nine slots of ~25 words each, so two independent
# texts share almost no word 5-grams (as two different real books do), while a copy shares them all.
ADJ = [
    "old",
    "young",
    "quiet",
    "tired",
    "grey",
    "small",
    "narrow",
    "bright",
    "cold",
    "silent",
    "distant",
    "gentle",
    "heavy",
    "broken",
    "empty",
    "dark",
    "pale",
    "ancient",
    "sudden",
    "careful",
    "lonely",
    "crooked",
    "warm",
    "humble",
    "proud",
]
NOUN = [
    "captain",
    "doctor",
    "sailor",
    "widow",
    "clerk",
    "governess",
    "farmer",
    "miller",
    "stranger",
    "brother",
    "sister",
    "landlord",
    "traveller",
    "soldier",
    "priest",
    "merchant",
    "painter",
    "gardener",
    "keeper",
    "servant",
    "tailor",
    "baker",
    "weaver",
    "lawyer",
]
ADV = [
    "slowly",
    "quietly",
    "suddenly",
    "anxiously",
    "gladly",
    "rarely",
    "often",
    "silently",
    "gravely",
    "patiently",
    "eagerly",
    "calmly",
    "boldly",
    "sadly",
    "warily",
    "kindly",
    "briskly",
    "idly",
    "coldly",
    "firmly",
    "softly",
    "loudly",
    "plainly",
    "barely",
]
VERB = [
    "watched",
    "followed",
    "questioned",
    "remembered",
    "avoided",
    "greeted",
    "described",
    "carried",
    "mended",
    "painted",
    "visited",
    "praised",
    "doubted",
    "answered",
    "noticed",
    "studied",
    "guarded",
    "sold",
    "bought",
    "admired",
    "feared",
    "found",
    "lost",
    "wanted",
]
THING = [
    "letter",
    "lamp",
    "gate",
    "bridge",
    "portrait",
    "window",
    "garden",
    "chapel",
    "orchard",
    "carriage",
    "ledger",
    "compass",
    "lantern",
    "violin",
    "cottage",
    "harbour",
    "meadow",
    "tower",
    "staircase",
    "kettle",
    "basket",
    "ribbon",
    "mirror",
    "anchor",
]
PREP = [
    "near",
    "behind",
    "beyond",
    "beside",
    "beneath",
    "above",
    "across",
    "along",
    "around",
    "against",
    "within",
    "toward",
]
PLACE = [
    "mill",
    "church",
    "river",
    "market",
    "square",
    "station",
    "forest",
    "village",
    "moor",
    "quay",
    "abbey",
    "inn",
    "farm",
]
NAME = [
    "Thomas",
    "Eliza",
    "Margaret",
    "Henry",
    "Agnes",
    "Walter",
    "Harriet",
    "Edmund",
    "Clara",
    "Arthur",
    "Lucy",
    "Robert",
    "Martha",
    "George",
    "Ada",
    "Philip",
    "Esther",
    "Hugh",
    "Beatrice",
    "Ralph",
]


def sentences(seed: int, n: int) -> list[str]:
    rng = random.Random(seed)
    c = rng.choice
    return [
        f"The {c(ADJ)} {c(NOUN)} {c(ADV)} {c(VERB)} the {c(ADJ)} {c(THING)} {c(PREP)} the {c(PLACE)} of {c(NAME)}."
        for _ in range(n)
    ]


def book(sents: list[str]) -> str:
    return "\n\n".join(" ".join(sents[i : i + 6]) for i in range(0, len(sents), 6))


ORIGINAL = sentences(1, 600)
NEAR_COPY = ORIGINAL[:570] + sentences(2, 30)  # 95% of the sentences shared
HALF_COPY = ORIGINAL[:300] + sentences(3, 300)  # 50% shared

GUTENBERG = """\ufeffThe Project Gutenberg eBook of The Quiet House, by Anne Example

This eBook is for the use of anyone anywhere in the United States and most other parts of the world at no
cost and with almost no restrictions whatsoever.

Title: The Quiet House
Author: Anne Example
Release Date: March 3, 2004 [EBook #11581]

*** START OF THE PROJECT GUTENBERG EBOOK THE QUIET HOUSE ***

Produced by Jane Doe and the Online Distributed Proofreading Team.

CHAPTER I.

The old captain walked slowly towards the grey stone church before the rain began.

*** END OF THE PROJECT GUTENBERG EBOOK THE QUIET HOUSE ***

Section 1. General Terms of Use and Redistributing Project Gutenberg-tm electronic works
"""

OLD_GUTENBERG = """The Project Gutenberg Etext of Old Tales
*****These eBooks Were Prepared By Thousands of Volunteers!*****
Information about Project Gutenberg (one page)
*END*THE SMALL PRINT! FOR PUBLIC DOMAIN ETEXTS*Ver.04.29.93*END*

OLD TALES

Once upon a time there was a miller who had three sons.

End of the Project Gutenberg Etext of Old Tales
"""


def test_strip_modern_gutenberg_header_footer_and_credits() -> None:
    body, found = strip_gutenberg(GUTENBERG)
    assert found
    assert body == (
        "CHAPTER I.\n\nThe old captain walked slowly towards the grey stone church before the rain began.\n"
    )


def test_strip_old_small_print_variant() -> None:
    body, found = strip_gutenberg(OLD_GUTENBERG)
    assert found
    assert body == "OLD TALES\n\nOnce upon a time there was a miller who had three sons.\n"


def test_no_markers_kept_unchanged() -> None:
    text = book(ORIGINAL[:12])
    assert strip_gutenberg(text) == (text, False)
    doc = Document("gutenberg:77", "books", text)
    assert StripGutenberg()(doc) is doc


def test_only_boilerplate_is_empty() -> None:
    text = (
        "*** START OF THE PROJECT GUTENBERG EBOOK X ***\n\nProduced by A. Volunteer\n\n"
        "*** END OF THE PROJECT GUTENBERG EBOOK X ***\nlicence text\n"
    )
    assert StripGutenberg()(Document("gutenberg:5", "books", text)) == Drop("empty")


def test_books3_text_not_touched() -> None:
    doc = Document("books3:part:1", "books", "*** END OF THE PROJECT GUTENBERG EBOOK X ***\nA quoted line.")
    assert StripGutenberg()(doc) is doc


def test_exact_containment_95_and_50_percent() -> None:
    a, near, half = (shingle_hashes(book(s)) for s in (ORIGINAL, NEAR_COPY, HALF_COPY))
    assert containment(near, a) > 0.9
    assert 0.4 < containment(half, a) < 0.7


def test_signature_matches_datasketch_update_batch() -> None:
    sh = shingle_hashes(book(ORIGINAL[:50]))
    perms = permutations(128, 1)
    ref = MinHash(num_perm=128, seed=1, hashfunc=lambda x: x)
    ref.update_batch([int(x) & 0xFFFFFFFF for x in sh])
    assert np.array_equal(signature(sh, perms), ref.hashvalues)


def test_shingles_ignore_case_punctuation_and_wrapping() -> None:
    assert np.array_equal(
        shingle_hashes("The old captain, walked\nslowly home."), shingle_hashes("the OLD captain walked slowly -- home")
    )
    assert not np.array_equal(shingle_hashes("a b c d e f"), shingle_hashes("b a c d e f"))


def test_lsh_proposes_near_copy_not_unrelated() -> None:
    perms = permutations(128, 1)
    sigs = [
        (i, signature(shingle_hashes(book(s)), perms))
        for i, s in [("gutenberg:1", ORIGINAL), ("books3:b:0", NEAR_COPY), ("gutenberg:2", sentences(9, 600))]
    ]
    assert candidate_pairs(sigs, 0.5) == [("gutenberg:1", "books3:b:0")]


def test_stable_order_and_chains() -> None:
    assert order_key("gutenberg:9") < order_key("gutenberg:10") < order_key("books3:a:2") < order_key("books3:a:10")
    # B overlaps A, C overlaps only B: B removed, C stays (judged against kept books only)
    assert decide_removals([("gutenberg:1", "gutenberg:2"), ("gutenberg:2", "gutenberg:3")]) == ["gutenberg:2"]
    assert decide_removals(
        [("gutenberg:1", "gutenberg:2"), ("gutenberg:1", "gutenberg:3"), ("gutenberg:2", "gutenberg:3")]
    ) == ["gutenberg:2", "gutenberg:3"]


def test_beam_near_dedup_end_to_end() -> None:
    import apache_beam as beam
    from apache_beam.testing.test_pipeline import TestPipeline
    from apache_beam.testing.util import assert_that, equal_to

    from filters.books import StripGutenberg
    from pipeline.beam.book_dedup import NearDedupBooks
    from pipeline.beam.transforms import ApplyStep

    docs = [
        Document("gutenberg:10", "books", book(NEAR_COPY)),  # 95% of gutenberg:9, later by number: removed
        Document("gutenberg:9", "books", GUTENBERG.replace("CHAPTER I.", book(ORIGINAL))),
        Document("books3:shelf:4", "books", book(ORIGINAL)),  # Books3 after Gutenberg: removed
        Document("books3:shelf:2", "books", book(HALF_COPY)),  # 50% overlap: kept
        Document("gutenberg:11", "books", book(sentences(7, 400))),  # unrelated: kept
    ]
    with TestPipeline() as p:
        kept = (
            p
            | beam.Create(docs)
            | beam.ParDo(ApplyStep(StripGutenberg()))  # the very step the job runs
            | NearDedupBooks(0.9, 0.5)
            | beam.Map(lambda d: d.id)
        )
        assert_that(kept, equal_to(["gutenberg:9", "books3:shelf:2", "gutenberg:11"]))


def test_book_inside_a_longer_one_is_a_candidate_at_the_default_threshold() -> None:
    # a novel reprinted inside a two-novel volume: containment 1.0 but Jaccard only ~0.5
    perms = permutations(128, 1)
    volume, novel = book(ORIGINAL + sentences(4, 600)), book(ORIGINAL)
    assert containment(shingle_hashes(novel), shingle_hashes(volume)) == 1.0
    sigs = [
        ("gutenberg:3", signature(shingle_hashes(volume), perms)),
        ("books3:b:1", signature(shingle_hashes(novel), perms)),
    ]
    assert candidate_pairs(sigs, 0.3) == [("gutenberg:3", "books3:b:1")]
    assert candidate_pairs(sigs, 0.8) == []  # a Jaccard-only threshold near 0.9 would miss it
