"""Language groups in LID, with the real lid.176 model: Croatian that single-label LID drops at 0.5 is
kept as `hbs` with the group on; nothing changes with groups off; the CommonCrawl option reaches the step."""

from __future__ import annotations

import pytest

from filters.base import Drop
from filters.langid import (
    DEFAULT_GROUPS,
    LangIdStep,
    group_langs,
    parse_lid_groups,
    predict_grouped,
    predict_lang,
)
from pipeline.document import Document, Meta

# Croatian sentences written for this test; lid.176 spreads each over hr, sh, bs and sr
CROATIAN = [
    "Zagreb je glavni i najveći grad Republike Hrvatske. Smješten je na jugozapadnom rubu Panonske nizine, "
    "na obroncima Medvednice i obalama rijeke Save.",
    "Grad je poznat po svojoj bogatoj kulturnoj baštini, a posjetitelji rado obilaze stare crkve, muzeje i tržnice.",
    "Novi zakon o obrazovanju stupio je na snagu prošle godine, a ministarstvo najavljuje dodatne promjene.",
]
ENGLISH = "The committee published its annual report on water quality in the region's rivers and lakes."


def doc(text: str) -> Document:
    return Document("d", "common_crawl", text)


@pytest.fixture(scope="module")
def model():  # noqa: ANN201
    step = LangIdStep(["hr"])
    step.setup()
    return step._model


def test_single_label_drops_croatian_at_half(model) -> None:  # noqa: ANN001
    plain = LangIdStep(["hr", "sr", "bs", "sh"], 0.5)
    plain._model = model
    for text in CROATIAN:
        lang, score = predict_lang(model, text)
        assert lang in ("hr", "sh") and score < 0.5, (lang, score)
        assert plain(doc(text)) == Drop("lang_score_low")


def test_group_keeps_croatian_as_hbs(model) -> None:  # noqa: ANN001
    for langs in (["hbs"], ["hr"]):  # a member selects its group
        step = LangIdStep(langs, 0.5, groups=DEFAULT_GROUPS)
        step._model = model
        for text in CROATIAN:
            kept = step(doc(text))
            assert isinstance(kept, Document), (langs, text)
            assert kept.meta[Meta.LANG] == "hbs" and kept.meta[Meta.LANG_SCORE] >= 0.8
            # the group's score is the sum of its labels' probabilities
            labels, probs = model.predict(text, k=-1)
            total = sum(float(p) for lab, p in zip(labels, probs) if lab[9:] in DEFAULT_GROUPS["hbs"])
            assert predict_grouped(model, text, DEFAULT_GROUPS) == ("hbs", pytest.approx(min(1.0, total)))


def test_languages_outside_groups_unchanged(model) -> None:  # noqa: ANN001
    lang, score = predict_lang(model, ENGLISH)
    assert predict_grouped(model, ENGLISH, DEFAULT_GROUPS) == (lang, pytest.approx(score, abs=1e-6))
    step = LangIdStep(["en"], 0.5, groups=DEFAULT_GROUPS)
    step._model = model
    assert step(doc(ENGLISH)).meta[Meta.LANG] == "en"
    assert step(doc(CROATIAN[0])) == Drop("lang_not_selected")


def test_ccnet_semantics_rounds_the_group_score(model) -> None:  # noqa: ANN001
    step = LangIdStep(["hbs"], 0.5, semantics="ccnet", groups=DEFAULT_GROUPS)
    step._model = model
    text = CROATIAN[0].replace(". ", ".\n")
    _, score = predict_grouped(model, text, DEFAULT_GROUPS, glue_lines=True)
    assert step(doc(text)).meta[Meta.LANG_SCORE] == round(score, 2)


def test_parse_groups() -> None:
    assert parse_lid_groups(None) == {}
    assert parse_lid_groups(["default"]) == {"hbs": ("hr", "sr", "bs", "sh")}
    assert parse_lid_groups(["hbs=hr,sr", "no=no,nb,nn"]) == {"hbs": ("hr", "sr"), "no": ("no", "nb", "nn")}
    assert parse_lid_groups(["default", "hbs=hr,sh"]) == {"hbs": ("hr", "sh")}  # given again: replaced
    for bad in (["hbs"], ["=hr"], ["hbs="], ["a=hr,sr", "b=sr,bs"]):
        with pytest.raises(ValueError, match="--lid-groups"):
            parse_lid_groups(bad)
    assert group_langs(["en", "hr", "sr"], DEFAULT_GROUPS) == ["en", "hbs"]


def _cc_args(*extra: str):  # noqa: ANN202
    from pipeline.app.cli import build_parser

    return build_parser().parse_args(
        ["run", "common_crawl", "--input", "x.wet.gz", "--output", "o", "--stop-after", "lid", *extra]
    )


def test_common_crawl_option_reaches_the_step() -> None:
    from pipeline.beam.jobs.common_crawl import steps_for

    _, steps = steps_for(_cc_args("--langs", "en,hr", "--lid-groups", "default", "--lid-groups", "no=no,nb,nn"))
    (lid,) = steps
    assert lid.groups == {"hbs": ("hr", "sr", "bs", "sh"), "no": ("no", "nb", "nn")}
    assert lid.langs == {"en", "hbs"}
    _, steps = steps_for(_cc_args("--langs", "hbs", "--lid-groups", "default"))
    assert steps[0].langs == {"hbs"}
    _, steps = steps_for(_cc_args("--langs", "hr"))  # off by default: CCNet's single label
    assert steps[0].groups == {} and steps[0].langs == {"hr"}
    with pytest.raises(ValueError, match="not a language lid.176 predicts"):
        steps_for(_cc_args("--langs", "hbs"))  # a group name without the group
