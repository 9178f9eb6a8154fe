"""The C4 rules (T5 section 2.2 / TFDS c4_utils.clean_page), one test per rule and drop reason."""

from __future__ import annotations

import pytest

from filters.base import Drop
from filters.c4 import (
    C4BadWords,
    C4BoilerplateLines,
    C4Lines,
    C4MinSentences,
    C4PageMarkers,
    count_sentences,
    remove_spans,
    span_keys,
    split_sentences,
)
from filters.langid import LangIdStep
from pipeline.document import Document

PROSE = (
    "The city council approved the new budget on Tuesday evening after a long debate.\n"
    "Residents had asked for more money for parks, libraries and road repairs.\n"
    "The mayor said the plan balances those needs against rising costs."
)


def doc(text: str, id_: str = "d1") -> Document:
    return Document(id_, "c4", text, {"url": "https://example.org/news"})


def test_lines_keep_terminal_punctuation_and_five_words() -> None:
    page = (
        "Home | News | Sport | Contact\n"  # menu: no terminal punctuation
        "Read more...\n"  # ellipsis
        "Great post!\n"  # two words
        "   The city council approved the new budget on Tuesday evening.   \n"
        "Residents had asked for more money for parks [1] and roads [citation needed].\n"
        "Click here to subscribe to our newsletter\n"
        f"{'x' * 1001} is a very long token in this line.\n"
        '"We are pleased with the result," the mayor said."'
    )
    out = C4Lines()(doc(page))
    assert isinstance(out, Document)
    assert out.text.split("\n") == [
        "The city council approved the new budget on Tuesday evening.",
        "Residents had asked for more money for parks  and roads .",
        '"We are pleased with the result," the mayor said."',
    ]


def test_lines_min_words_is_an_option() -> None:
    assert isinstance(C4Lines(min_words=3)(doc("It rained today.")), Document)
    assert C4Lines(min_words=5)(doc("It rained today.")) == Drop("no_valid_lines")


def test_page_without_valid_lines_dropped() -> None:
    assert C4Lines()(doc("Home\nAbout us\nContact\n(c) 2019 Example Ltd")) == Drop("no_valid_lines")


def test_javascript_and_policy_lines_removed() -> None:
    page = (
        f"{PROSE}\n"
        "Please enable JavaScript in your browser to view this page.\n"
        "This website uses cookies to improve your experience.\n"
        "By using this site you agree to our Terms of Use and Privacy Policy."
    )
    out = C4BoilerplateLines()(doc(page))
    assert isinstance(out, Document) and out.text == PROSE
    assert C4BoilerplateLines()(doc("You must enable Javascript to continue reading.")) == Drop("no_valid_lines")


def test_lorem_ipsum_page_dropped() -> None:
    page = PROSE + "\nLorem ipsum dolor sit amet, consectetur adipiscing elit."
    assert C4PageMarkers()(doc(page)) == Drop("lorem_ipsum")


def test_curly_bracket_page_dropped() -> None:
    page = PROSE + "\nTo fix it, add function f() { return 1; } to your script."
    assert C4PageMarkers()(doc(page)) == Drop("curly_bracket")
    assert C4PageMarkers()(doc(PROSE)) == doc(PROSE)


def test_sentences_and_min_three() -> None:
    assert split_sentences("Dr. Smith arrived at 9 a.m. today. He left early! Why? Nobody knows.") == [
        "Dr. Smith arrived at 9 a.m. today.",
        "He left early!",
        "Why?",
        "Nobody knows.",
    ]
    assert count_sentences(PROSE) == 3
    assert isinstance(C4MinSentences()(doc(PROSE)), Document)
    two = "The council met on Tuesday evening. It approved the budget after a debate."
    assert C4MinSentences()(doc(two)) == Drop("too_few_sentences")


def test_badwords_whole_words_only() -> None:
    step = C4BadWords()
    assert step(doc(PROSE + "\nThe crowd shouted fuck off at the referee.")) == Drop("badwords")
    # substrings of innocent words do not count (the Scunthorpe problem)
    innocent = PROSE + "\nScunthorpe United played at home; the class assessed Shitake mushrooms."
    assert isinstance(step(doc(innocent)), Document)


def test_badwords_list_ships_with_a_source_header() -> None:
    from filters.c4 import DEFAULT_BADWORDS, load_badwords

    with open(DEFAULT_BADWORDS, encoding="utf-8") as f:
        assert "Source:" in f.read(2000)
    words = load_badwords()
    assert "fuck" in words and all(w == w.lower() and not w.startswith("#") for w in words)


@pytest.fixture(scope="module")
def lid() -> LangIdStep:
    step = LangIdStep(("en",), threshold=0.99)
    step.setup()
    return step


ENGLISH = (
    "Residents had asked for more money for parks, libraries and road repairs. The mayor said the plan "
    "balances those needs against rising costs. It will be voted on next week by the full council and the "
    "public is invited to attend the meeting."
)


def test_lid_english_kept_at_099(lid: LangIdStep) -> None:
    out = lid(doc(ENGLISH))
    assert isinstance(out, Document) and out.meta["lang"] == "en" and out.meta["lang_score"] >= 0.99


def test_lid_non_english_dropped(lid: LangIdStep) -> None:
    french = (
        "Le conseil municipal a approuvé le nouveau budget mardi soir après un long débat. "
        "Les habitants avaient demandé plus d'argent pour les parcs et les bibliothèques."
    )
    assert isinstance(lid(doc(french)), Drop)
    # English, but below the 0.99 bar of C4 (a short, list-like page): dropped as low-confidence
    assert lid(doc("Parks, libraries and road repairs.")) == Drop("lang_score_low")


def test_span_keys_and_remove_foreign_spans() -> None:
    a = "One fish swam here. Two fish swam there. Red fish swam away. Blue fish stayed home."
    b = "A new day began. One fish swam here. Two fish swam there. Red fish swam away. The end came soon."
    keys_a, keys_b = span_keys(a), span_keys(b)
    shared = set(keys_a) & set(keys_b)
    assert len(shared) == 1 and len(keys_a) == 2 and len(keys_b) == 3
    out = remove_spans(doc(b, "b"), shared, min_sentences=1)
    assert isinstance(out, Document) and out.text == "A new day began. The end came soon."
    # fewer than three sentences left with min_sentences=3 (the default): the page goes
    assert remove_spans(doc(b, "b"), shared, min_sentences=3) == Drop("duplicate_spans")


def test_span_repeated_within_a_page_keeps_first() -> None:
    three = "Alpha is first. Beta is second. Gamma is third."
    text = f"{three}\n{three}\nOK then."
    out = remove_spans(doc(text), set(), min_sentences=1)
    assert isinstance(out, Document)
    assert out.text == "Alpha is first. Beta is second. Gamma is third.\nOK then."


def test_untouched_page_is_returned_as_is() -> None:
    page = doc(PROSE)
    assert remove_spans(page, {"0" * 16}) is page
