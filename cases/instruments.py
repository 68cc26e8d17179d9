"""Assessment instruments, kept as data, and the one function that scores them.

Every instrument is an immutable :class:`Instrument` in :data:`INSTRUMENTS`, keyed by
``(code, version)``. Scoring is the same for all of them:

* each answer must be an integer in ``min_answer``..``max_answer``;
* reverse-scored items count as ``min_answer + max_answer - answer``;
* the total is the sum of the (reversed where needed) item scores;
* subscale scores are reported only when the item -> subscale mapping was verified
  against the published source (``mapping_verified``); otherwise ``subscales`` is empty
  and the UI shows the total only.

Adding an instrument or a new version means adding one entry to :data:`INSTRUMENTS`; stored
assessments keep their ``(code, version)`` so old results are never re-scored under a new key.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

# Digits only (any Unicode decimal digit, e.g. full-width "３"), optional ASCII sign. Everything
# this accepts is also accepted by int(), which callers use when storing the answers.
# Bounded: a pasted 5,000-digit "answer" must be a clear error, not a 500 from int().
_INTEGER = re.compile(r"[+-]?\d{1,6}")


@dataclass(frozen=True)
class Instrument:
    code: str
    version: str
    label: StrOrPromise
    item_count: int
    min_answer: int
    max_answer: int
    source: str
    reverse_items: tuple[int, ...] = ()
    # Subscale name -> 1-based item numbers. Only used for scoring when mapping_verified.
    subscales: dict[str, tuple[int, ...]] = field(default_factory=dict, hash=False)
    # Total >= cutoff means "above the screening cut-off"; None when there is no cut-off.
    cutoff: int | None = None
    # Whether reverse items and subscales were checked against the published source.
    mapping_verified: bool = False
    # Short item descriptions (index 0 = item 1); empty when not provided.
    item_labels: tuple[StrOrPromise, ...] = ()

    def __post_init__(self) -> None:
        # Catch data-entry mistakes at import time rather than when a counsellor saves a form.
        if self.item_count < 1:
            raise ValueError(f"{self.key}: item_count must be at least 1")
        if self.min_answer >= self.max_answer:
            raise ValueError(f"{self.key}: min_answer must be below max_answer")
        valid = range(1, self.item_count + 1)
        for item in self.reverse_items:
            if item not in valid:
                raise ValueError(f"{self.key}: reverse item {item} out of range")
        for name, items in self.subscales.items():
            for item in items:
                if item not in valid:
                    raise ValueError(f"{self.key}: subscale {name} item {item} out of range")
        if self.item_labels and len(self.item_labels) != self.item_count:
            raise ValueError(f"{self.key}: item_labels must be empty or one per item")
        if self.cutoff is not None and not self.min_total <= self.cutoff <= self.max_total:
            raise ValueError(f"{self.key}: cutoff outside the possible total range")

    @property
    def key(self) -> str:
        """The ``"code:version"`` value used in form selects and query strings."""
        return f"{self.code}:{self.version}"

    @property
    def min_total(self) -> int:
        return self.item_count * self.min_answer

    @property
    def max_total(self) -> int:
        return self.item_count * self.max_answer


@dataclass(frozen=True)
class ScoreResult:
    total: int
    subscales: dict[str, int] = field(default_factory=dict, hash=False)
    above_cutoff: bool | None = None


# --- HQ-25 -----------------------------------------------------------------------------------
#
# Teo AR, Chen JI, Kubo H, et al. Development and validation of the 25-item Hikikomori
# Questionnaire (HQ-25). Psychiatry Clin Neurosci. 2018;72(10):780-788. doi:10.1111/pcn.12691
# (open access: https://pmc.ncbi.nlm.nih.gov/articles/PMC6221010/).
#
# What was checked, and against what:
# * 25 items, 0-4 answers, total 0-100, three subscales (socialization, isolation, emotional
#   support), cut-off 42: the paper's abstract (PMC6221010). The Kyushu University lab page
#   (https://www.hikikomori-lab.com/tools/hq-25tacs-22) quotes 44 for its own clinic sample;
#   42 is the published value and is used here.
# * Reverse-scored items 4, 7, 10, 15, 21, 25: NOT checked against the paper's item appendix,
#   which could not be read. Items 4, 7 and 10 are marked as reversed in a Japanese
#   reproduction of the item list (https://everyday-evident.net/25-item-hikikomori-questionnaire/,
#   only items 1-13 were visible); the full set 4, 7, 10, 15, 21, 25 is the one published for the
#   one-month revision HQ-25M by the same group (reported at
#   https://moneytimes.jp/archives/181966/2, crediting Kato, Kyushu University, 2022). The total
#   therefore rests on secondary sources; re-check against the original appendix before relying
#   on it for research use.
# * Item -> subscale mapping: NOT found in any readable source. The tuples below are a
#   best-effort reconstruction: items 1-14 are placed by their wording (as seen in the Japanese
#   reproduction), items 15-25 are placeholders. Because mapping_verified is False, score()
#   reports no subscales. Do not set mapping_verified=True without checking every item
#   against Table 2 / the appendix of Teo et al. 2018.
HQ25 = Instrument(
    code="hq25",
    version="teo2018",
    label=gettext_lazy("HQ-25 ひきこもり質問票"),
    item_count=25,
    min_answer=0,
    max_answer=4,
    reverse_items=(4, 7, 10, 15, 21, 25),
    subscales={
        "socialization": (1, 4, 6, 8, 11, 13, 15, 18, 20, 22, 24),
        "isolation": (2, 5, 9, 12, 16, 17, 19, 21),
        "emotional_support": (3, 7, 10, 14, 23, 25),
    },
    cutoff=42,
    mapping_verified=False,
    source=(
        "Teo AR, Chen JI, Kubo H, et al. Development and validation of the 25-item Hikikomori "
        "Questionnaire (HQ-25). Psychiatry Clin Neurosci. 2018;72(10):780-788. "
        "doi:10.1111/pcn.12691. Reverse items from secondary sources; subscale mapping "
        "unverified."
    ),
)

# --- UCLA Loneliness Scale, 3-item -----------------------------------------------------------
#
# Items: lack companionship / feel left out / feel isolated from others. No reverse items and
# no subscales.
_UCLA3_ITEMS: tuple[StrOrPromise, ...] = (
    gettext_lazy("人とのつきあいがないと感じる"),
    gettext_lazy("取り残されていると感じる"),
    gettext_lazy("他の人たちから孤立していると感じる"),
)

# Hughes ME, Waite LJ, Hawkley LC, Cacioppo JT. A short scale for measuring loneliness in large
# surveys: results from two population-based studies. Res Aging. 2004;26(6):655-672.
# doi:10.1177/0164027504268574. Answers 1 (hardly ever) - 3 (often), total 3-9.
# Cut-off: 6+ = lonely, the convention attributed to Steptoe A, Shankar A, Demakakos P,
# Wardle J. Social isolation, loneliness, and all-cause mortality in older men and women.
# PNAS. 2013;110(15):5797-5801 (not re-checked against that paper here).
UCLA3_HUGHES2004 = Instrument(
    code="ucla3",
    version="hughes2004",
    label=gettext_lazy("UCLA孤独感尺度 3項目版（Hughes 2004・3件法）"),
    item_count=3,
    min_answer=1,
    max_answer=3,
    cutoff=6,
    mapping_verified=True,  # no reverse items, no subscales: nothing to map
    source=(
        "Hughes ME, Waite LJ, Hawkley LC, Cacioppo JT. A short scale for measuring loneliness "
        "in large surveys. Res Aging. 2004;26(6):655-672. Cut-off 6+ per Steptoe A et al. "
        "PNAS. 2013;110(15):5797-5801."
    ),
    item_labels=_UCLA3_ITEMS,
)

# The Japanese government survey (内閣官房 孤独・孤立対策担当室「孤独・孤立の実態把握に関する
# 全国調査」) asks the same three items on a 4-point scale: 1 決してない, 2 ほとんどない,
# 3 時々ある, 4 常にある; total 3-12. The survey reports score bands, not a screening cut-off.
UCLA3_JP_GOV = Instrument(
    code="ucla3",
    version="jp-gov",
    label=gettext_lazy("UCLA孤独感尺度 3項目版（内閣官房調査版・4件法）"),
    item_count=3,
    min_answer=1,
    max_answer=4,
    cutoff=None,
    mapping_verified=True,  # no reverse items, no subscales: nothing to map
    source=(
        "内閣官房 孤独・孤立対策担当室「孤独・孤立の実態把握に関する全国調査」"
        "(UCLA孤独感尺度3項目版, 4件法). Items after Hughes ME et al. Res Aging. "
        "2004;26(6):655-672."
    ),
    item_labels=_UCLA3_ITEMS,
)

# --- GAF ---------------------------------------------------------------------------------------
#
# Global Assessment of Functioning: one clinician/staff rating, 0-100 (0 = inadequate
# information). American Psychiatric Association. DSM-IV-TR. 2000. Axis V.
GAF = Instrument(
    code="gaf",
    version="dsm-iv-tr",
    label=gettext_lazy("GAF（機能の全体的評定）"),
    item_count=1,
    min_answer=0,
    max_answer=100,
    cutoff=None,
    mapping_verified=True,  # single rating: nothing to map
    source=(
        "American Psychiatric Association. Diagnostic and Statistical Manual of Mental "
        "Disorders, 4th ed., text revision (DSM-IV-TR). 2000. Global Assessment of "
        "Functioning (Axis V)."
    ),
    item_labels=(gettext_lazy("全体的機能の評定（0〜100）"),),
)

INSTRUMENTS: dict[tuple[str, str], Instrument] = {
    (instrument.code, instrument.version): instrument
    for instrument in (HQ25, UCLA3_HUGHES2004, UCLA3_JP_GOV, GAF)
}


def get_instrument(code: str, version: str) -> Instrument:
    """The instrument for ``(code, version)``; raises ``KeyError`` if there is none."""
    try:
        return INSTRUMENTS[(code, version)]
    except KeyError:
        raise KeyError(f"unknown instrument {code}:{version}") from None


def instrument_choices() -> list[tuple[str, StrOrPromise]]:
    """``("code:version", label)`` pairs for a form select, in definition order."""
    return [(instrument.key, instrument.label) for instrument in INSTRUMENTS.values()]


def _parse_answer(
    instrument: Instrument, item: int, value: int | str | None
) -> int | ValidationError:
    """The integer answer for ``item``, or the error to report for it."""
    bounds = {"item": item, "min": instrument.min_answer, "max": instrument.max_answer}
    if value is None or (isinstance(value, str) and not value.strip()):
        return ValidationError(
            _("項目%(item)sの回答がありません。%(min)s〜%(max)sの整数で入力してください。"),
            code="required",
            params=bounds,
        )
    if isinstance(value, bool):  # bool is an int subclass, but never a valid answer
        number = None
    elif isinstance(value, int):
        number = value
    elif isinstance(value, str) and _INTEGER.fullmatch(value.strip()):
        number = int(value.strip())
    else:
        number = None
    if number is None:
        return ValidationError(
            _("項目%(item)sの回答が整数ではありません。%(min)s〜%(max)sの整数で入力してください。"),
            code="invalid",
            params=bounds,
        )
    if not instrument.min_answer <= number <= instrument.max_answer:
        return ValidationError(
            _("項目%(item)sの回答は%(min)s〜%(max)sの整数で入力してください。"),
            code="out_of_range",
            params=bounds,
        )
    return number


def score(instrument: Instrument, answers: Sequence[int | str | None]) -> ScoreResult:
    """Score one administration of ``instrument``.

    ``answers`` holds one answer per item, item 1 first. Raises ``ValidationError`` when the
    number of answers is wrong, or with one error per bad item (missing, not an integer, out of
    range) so that every problem is shown at once.
    """
    if len(answers) != instrument.item_count:
        raise ValidationError(
            _("回答数が正しくありません（%(expected)s項目中%(given)s項目）。"),
            code="wrong_count",
            params={"expected": instrument.item_count, "given": len(answers)},
        )

    errors: list[ValidationError] = []
    raw: list[int] = []
    for item, value in enumerate(answers, start=1):
        parsed = _parse_answer(instrument, item, value)
        if isinstance(parsed, ValidationError):
            errors.append(parsed)
        else:
            raw.append(parsed)
    if errors:
        raise ValidationError(errors)

    reverse = set(instrument.reverse_items)
    flip = instrument.min_answer + instrument.max_answer
    item_scores = {
        item: flip - answer if item in reverse else answer
        for item, answer in enumerate(raw, start=1)
    }
    total = sum(item_scores.values())
    subscales: dict[str, int] = {}
    if instrument.mapping_verified:
        subscales = {
            name: sum(item_scores[item] for item in items)
            for name, items in instrument.subscales.items()
        }
    above_cutoff = None if instrument.cutoff is None else total >= instrument.cutoff
    return ScoreResult(total=total, subscales=subscales, above_cutoff=above_cutoff)
