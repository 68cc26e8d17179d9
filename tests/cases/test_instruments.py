"""Scoring of the assessment instruments, with expected values worked out by hand.

Pure functions: no database needed.
"""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from cases import instruments
from cases.instruments import (
    GAF,
    HQ25,
    INSTRUMENTS,
    UCLA3_HUGHES2004,
    UCLA3_JP_GOV,
    Instrument,
    ScoreResult,
    get_instrument,
    instrument_choices,
    score,
)


def codes(exc: pytest.ExceptionInfo[ValidationError]) -> list[str | None]:
    return [error.code for error in exc.value.error_list]


# --- registry ------------------------------------------------------------------------------


def test_registry_is_keyed_by_code_and_version() -> None:
    assert set(INSTRUMENTS) == {
        ("hq25", "teo2018"),
        ("ucla3", "hughes2004"),
        ("ucla3", "jp-gov"),
        ("gaf", "dsm-iv-tr"),
    }
    for (code, version), instrument in INSTRUMENTS.items():
        assert (instrument.code, instrument.version) == (code, version)
        assert get_instrument(code, version) is instrument
        # Stored in CharField(max_length=20) columns.
        assert len(code) <= 20
        assert len(version) <= 20


def test_get_instrument_unknown_raises_key_error() -> None:
    with pytest.raises(KeyError):
        get_instrument("hq25", "nope")


def test_instrument_choices_use_code_colon_version() -> None:
    choices = instrument_choices()
    assert [value for value, _label in choices] == [
        "hq25:teo2018",
        "ucla3:hughes2004",
        "ucla3:jp-gov",
        "gaf:dsm-iv-tr",
    ]
    labels = dict(choices)
    with translation.override("ja"):
        assert str(labels["hq25:teo2018"]) == "HQ-25 ひきこもり質問票"
    # Each value splits back to a registry key, as the view does with partition(":").
    for value, _label in choices:
        code, _sep, version = value.partition(":")
        assert (code, version) in INSTRUMENTS


def test_instruments_are_immutable() -> None:
    with pytest.raises(AttributeError):
        HQ25.cutoff = 0  # type: ignore[misc]


def test_instrument_data_errors_are_caught_at_definition() -> None:
    with pytest.raises(ValueError, match="reverse item"):
        Instrument(
            code="x",
            version="1",
            label="x",
            item_count=3,
            min_answer=0,
            max_answer=4,
            source="test",
            reverse_items=(4,),
        )
    with pytest.raises(ValueError, match="item_labels"):
        Instrument(
            code="x",
            version="1",
            label="x",
            item_count=3,
            min_answer=0,
            max_answer=4,
            source="test",
            item_labels=("a",),
        )


# --- HQ-25 ---------------------------------------------------------------------------------


def test_hq25_definition() -> None:
    assert HQ25.item_count == 25
    assert (HQ25.min_answer, HQ25.max_answer) == (0, 4)
    assert (HQ25.min_total, HQ25.max_total) == (0, 100)
    assert HQ25.cutoff == 42
    assert HQ25.reverse_items == (4, 7, 10, 15, 21, 25)
    assert set(HQ25.subscales) == {"socialization", "isolation", "emotional_support"}
    # Subscale mapping is unverified (see the module); the flag must say so.
    assert HQ25.mapping_verified is False


def test_hq25_stored_subscales_partition_the_items() -> None:
    # Even unverified, the stored mapping must put every item in exactly one subscale.
    items = sorted(item for group in HQ25.subscales.values() for item in group)
    assert items == list(range(1, 26))


def test_hq25_all_zero_scores_only_the_reverse_items() -> None:
    # 19 forward items score 0; 6 reverse items score 4 - 0 = 4 each: 6 * 4 = 24.
    result = score(HQ25, [0] * 25)
    assert result.total == 4 * len(HQ25.reverse_items) == 24
    assert result.above_cutoff is False


def test_hq25_all_four() -> None:
    # 19 forward items * 4 = 76; reverse items score 4 - 4 = 0: total 76.
    assert score(HQ25, [4] * 25).total == 76


def test_hq25_mixed_answers() -> None:
    answers = [1, 2, 3, 4, 0] * 5
    # Raw sum: five repeats of 1+2+3+4+0 = 5 * 10 = 50.
    # Reverse items (answer -> scored, change):
    #   item 4: 4 -> 0 (-4)   item 7: 2 -> 2 (0)    item 10: 0 -> 4 (+4)
    #   item 15: 0 -> 4 (+4)  item 21: 1 -> 3 (+2)  item 25: 0 -> 4 (+4)
    # Total: 50 - 4 + 0 + 4 + 4 + 2 + 4 = 60.
    result = score(HQ25, answers)
    assert result.total == 60
    assert result.above_cutoff is True


def test_hq25_cutoff_boundary() -> None:
    # All zero = 24 (reverse items). Forward items 1, 2, 3, 5 at 4 add 16 -> 40;
    # item 6 at 1 -> 41 (below), at 2 -> 42 (at the cut-off counts as above).
    below = [0] * 25
    for item in (1, 2, 3, 5):
        below[item - 1] = 4
    below[6 - 1] = 1
    at = list(below)
    at[6 - 1] = 2
    assert score(HQ25, below) == ScoreResult(total=41, subscales={}, above_cutoff=False)
    assert score(HQ25, at) == ScoreResult(total=42, subscales={}, above_cutoff=True)


def test_hq25_unverified_mapping_reports_no_subscales() -> None:
    assert score(HQ25, [2] * 25).subscales == {}


def test_hq25_subscales_are_summed_when_verified() -> None:
    # Same data with the flag set, to check the summing itself (not a claim about the paper).
    verified = Instrument(
        code="hq25",
        version="test",
        label="test",
        item_count=25,
        min_answer=0,
        max_answer=4,
        source="test",
        reverse_items=HQ25.reverse_items,
        subscales=HQ25.subscales,
        cutoff=42,
        mapping_verified=True,
    )
    answers = [1, 2, 3, 4, 0] * 5
    # Scored values per item (reverse items flipped as in test_hq25_mixed_answers):
    #  1:1  2:2  3:3  4:0  5:0  6:1  7:2  8:3  9:4 10:4 11:1 12:2 13:3
    # 14:4 15:4 16:1 17:2 18:3 19:4 20:0 21:3 22:2 23:3 24:4 25:4
    # socialization 1,4,6,8,11,13,15,18,20,22,24 = 1+0+1+3+1+3+4+3+0+2+4 = 22
    # isolation 2,5,9,12,16,17,19,21 = 2+0+4+2+1+2+4+3 = 18
    # emotional_support 3,7,10,14,23,25 = 3+2+4+4+3+4 = 20  (22+18+20 = 60 = total)
    result = score(verified, answers)
    assert result.total == 60
    assert result.subscales == {"socialization": 22, "isolation": 18, "emotional_support": 20}


# --- UCLA 3-item ---------------------------------------------------------------------------


def test_ucla_hughes2004_range_and_cutoff() -> None:
    assert score(UCLA3_HUGHES2004, [1, 1, 1]) == ScoreResult(3, {}, False)
    assert score(UCLA3_HUGHES2004, [3, 3, 3]) == ScoreResult(9, {}, True)
    assert score(UCLA3_HUGHES2004, [2, 2, 1]).above_cutoff is False  # 5
    assert score(UCLA3_HUGHES2004, [2, 2, 2]).above_cutoff is True  # 6


def test_ucla_jp_gov_range_has_no_cutoff() -> None:
    assert score(UCLA3_JP_GOV, [1, 1, 1]) == ScoreResult(3, {}, None)
    assert score(UCLA3_JP_GOV, [4, 4, 4]) == ScoreResult(12, {}, None)


def test_ucla_answer_four_depends_on_version() -> None:
    with pytest.raises(ValidationError) as exc:
        score(UCLA3_HUGHES2004, [1, 4, 1])
    assert codes(exc) == ["out_of_range"]
    assert exc.value.messages == ["項目2の回答は1〜3の整数で入力してください。"]
    assert score(UCLA3_JP_GOV, [1, 4, 1]).total == 6


def test_ucla_has_item_labels() -> None:
    assert len(UCLA3_HUGHES2004.item_labels) == 3
    assert UCLA3_HUGHES2004.reverse_items == ()
    assert UCLA3_HUGHES2004.subscales == {}


# --- GAF -----------------------------------------------------------------------------------


def test_gaf_bounds() -> None:
    assert score(GAF, [0]) == ScoreResult(0, {}, None)
    assert score(GAF, [100]) == ScoreResult(100, {}, None)
    assert score(GAF, ["55"]).total == 55
    with pytest.raises(ValidationError) as exc:
        score(GAF, [101])
    assert exc.value.messages == ["項目1の回答は0〜100の整数で入力してください。"]


# --- input validation ----------------------------------------------------------------------


@pytest.mark.parametrize("count", [0, 24, 26])
def test_wrong_number_of_answers(count: int) -> None:
    with pytest.raises(ValidationError) as exc:
        score(HQ25, [0] * count)
    assert codes(exc) == ["wrong_count"]
    assert exc.value.messages == [f"回答数が正しくありません（25項目中{count}項目）。"]


def test_non_integer_string_names_the_item() -> None:
    answers: list[int | str | None] = [1, 1, "x"]
    with pytest.raises(ValidationError) as exc:
        score(UCLA3_HUGHES2004, answers)
    assert codes(exc) == ["invalid"]
    assert exc.value.messages == ["項目3の回答が整数ではありません。1〜3の整数で入力してください。"]


@pytest.mark.parametrize("value", ["1.5", "2e0", "3_0", "", "  ", None, True, 2.0])
def test_rejected_values(value: object) -> None:
    with pytest.raises(ValidationError) as exc:
        score(GAF, [value])  # type: ignore[list-item]
    assert codes(exc)[0] in {"invalid", "required"}


def test_missing_answer_is_reported_as_missing() -> None:
    with pytest.raises(ValidationError) as exc:
        score(UCLA3_JP_GOV, [1, None, ""])
    assert codes(exc) == ["required", "required"]
    assert exc.value.messages == [
        "項目2の回答がありません。1〜4の整数で入力してください。",
        "項目3の回答がありません。1〜4の整数で入力してください。",
    ]


def test_strings_with_spaces_and_full_width_digits_are_accepted() -> None:
    # Form input arrives as text; full-width digits come from Japanese IMEs.
    assert score(UCLA3_JP_GOV, [" 2 ", "３", "+1"]).total == 6


def test_all_bad_items_are_reported_together() -> None:
    answers: list[int | str | None] = ["0"] * 25
    answers[2 - 1] = None
    answers[5 - 1] = "x"
    answers[9 - 1] = 5
    answers[20 - 1] = "-1"
    with pytest.raises(ValidationError) as exc:
        score(HQ25, answers)
    assert codes(exc) == ["required", "invalid", "out_of_range", "out_of_range"]
    assert exc.value.messages == [
        "項目2の回答がありません。0〜4の整数で入力してください。",
        "項目5の回答が整数ではありません。0〜4の整数で入力してください。",
        "項目9の回答は0〜4の整数で入力してください。",
        "項目20の回答は0〜4の整数で入力してください。",
    ]


def test_errors_carry_params_for_callers() -> None:
    with pytest.raises(ValidationError) as exc:
        score(UCLA3_HUGHES2004, [0, 1, 1])
    (error,) = exc.value.error_list
    assert error.params == {"item": 1, "min": 1, "max": 3}


def test_module_exports() -> None:
    for name in (
        "Instrument",
        "ScoreResult",
        "INSTRUMENTS",
        "get_instrument",
        "instrument_choices",
        "score",
    ):
        assert hasattr(instruments, name)
