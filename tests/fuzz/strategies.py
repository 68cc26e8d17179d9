"""Hostile values for every kind of form field: what people paste, what attackers type and
what a broken client sends. Each field kind draws from its own list plus random text."""

from __future__ import annotations

from django import forms
from hypothesis import strategies as st

# Markup that must never come back out of a page as markup. Each is checked raw (unescaped)
# against every response that could show it.
HTML_PAYLOADS = (
    "<script>alert('fz')</script>",
    '"><img src=x onerror=alert(1)>',
    "'><svg/onload=alert(1)>",
    "</textarea><b>fz</b>",
    '<a href="javascript:alert(1)">fz</a>',
)
# Cells a spreadsheet would run as a formula (OWASP's list).
FORMULA_PAYLOADS = (
    "=cmd|' /C calc'!A0",
    '=HYPERLINK("http://example.invalid","fz")',
    "+1+1",
    "-2+3",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
)
TEXT_PAYLOADS = (
    *HTML_PAYLOADS,
    *FORMULA_PAYLOADS,
    "{{ request }}{% now 'Y' %}",
    "\x00",
    "山\x00田",
    "\x01\x02\x07\x08\x0b\x0c\x1b[31m\x7f",
    "\r\n\r\nX-Injected: 1",
    "\u202e\u200f逆向き\u202c\u200b",
    "ﾔﾏﾀﾞ ﾊﾅｺ ｶﾞｷﾞｸﾞ",
    "😀👨‍👩‍👧‍👦🏳️‍🌈𠮷野家",
    "\ufeff\u3000",
    "Robert'); DROP TABLE cases_case;--",
    "%s%(name)s{0}",
    "../../etc/passwd",
    "ＡＢＣ１２３　山田",
    " ",
    "",
    "x" * 20_000,
    "あ" * 5_000,
)
DATE_PAYLOADS = (
    "令和99年13月40日",
    "平成0年",
    "平成0年1月1日",
    "令和元年2月30日",
    "昭和64年1月8日",
    "明治1年1月1日",
    "大正15年12月26日",
    "R99.13.40",
    "H0.1.1",
    "S.64.1.8",
    "2024-02-30",
    "2023-02-29",
    "0000-00-00",
    "0001-01-01",
    "9999-12-31",
    "10000-01-01",
    "-0001-01-01",
    "2024/13/01",
    "１９８０年１月１日",
    "令和",
    "年月日",
    "99999999999999999999",
    "1e309",
)
DATETIME_PAYLOADS = (
    *DATE_PAYLOADS,
    "2024-01-01T24:00",
    "2024-02-30T10:00",
    "0001-01-01T00:00",
    "9999-12-31T23:59",
    "2024-01-01T10:00+99:00",
    "2024-01-01 10:00:00.999999999",
    "令和8年4月1日 10:00",
)
TIME_PAYLOADS = ("25:00", "24:00", "-1:00", "12:60", "１２：００", "23:59:60", "9" * 30)
NUMBER_PAYLOADS = (
    "-1",
    "0",
    "-2147483649",
    "2147483648",
    "9223372036854775808",
    "-99999999999999999999999999",
    "1e309",
    "NaN",
    "inf",
    "１２",
    "٣",
    "1.5",
    "0x10",
    " 7 ",
)
CHOICE_PAYLOADS = ("-1", "0", "99999999999999999999", "2147483648", "none", "<b>", "\x00")

_text = st.one_of(
    st.sampled_from(TEXT_PAYLOADS),
    st.text(max_size=40),
    st.lists(st.sampled_from(TEXT_PAYLOADS[:-2]), min_size=2, max_size=4).map("".join),
)


def _mixed(payloads: tuple[str, ...]) -> st.SearchStrategy[str]:
    return st.one_of(st.sampled_from(payloads), _text)


STRATEGIES: dict[str, st.SearchStrategy[object]] = {
    "text": _text,
    "date": _mixed(DATE_PAYLOADS),
    "datetime": _mixed(DATETIME_PAYLOADS),
    "time": _mixed(TIME_PAYLOADS),
    "number": _mixed(NUMBER_PAYLOADS),
    "choice": _mixed(CHOICE_PAYLOADS),
    "multi": st.lists(_mixed(CHOICE_PAYLOADS), max_size=3),
    "secret": _text,  # a password box: never shown again, by design
    "bool": st.sampled_from(["on", "", "false", "0", "\x00", "<b>"]),
}
# The kinds whose typed value a refused form must show again (a select or a tick box has no
# typed value to keep).
TYPED_KINDS = {"text", "date", "datetime", "time", "number"}


def kind_of(field: forms.Field) -> str:
    if isinstance(field.widget, forms.PasswordInput):
        return "secret"
    if isinstance(field, forms.BooleanField):
        return "bool"
    if isinstance(field, forms.MultipleChoiceField | forms.ModelMultipleChoiceField):
        return "multi"
    if isinstance(field, forms.ChoiceField | forms.ModelChoiceField):
        return "choice"
    if isinstance(field, forms.DateTimeField | forms.SplitDateTimeField):
        return "datetime"
    if isinstance(field, forms.DateField):
        return "date"
    if isinstance(field, forms.TimeField):
        return "time"
    if isinstance(field, forms.IntegerField | forms.DecimalField | forms.FloatField):
        return "number"
    if isinstance(field, forms.FileField):
        return "file"
    return "text"
