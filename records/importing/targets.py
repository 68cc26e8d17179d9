"""The fields a column can be mapped to, per shape of spreadsheet, with the header words
(Japanese and English) that suggest them: 氏名, ふりがな, 生年月日, 相談日, 相談方法, 担当者."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.utils.translation import gettext_lazy as _

from records.importing.normalise import word_key

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

CASES, CONTACTS, FAMILY = "cases", "contacts", "family"


@dataclass(frozen=True)
class Target:
    key: str
    label: StrOrPromise
    headers: tuple[str, ...] = ()
    required: bool = False  # a column must be mapped to it (and the cell is needed to create)


# One of these identifies the row, so that importing the file again changes nothing.
_EXTERNAL_ID = (
    "台帳番号",
    "旧ID",
    "ID",
    "管理番号",
    "通し番号",
    "No",
    "番号",
    "record id",
    "external id",
)
_CASE_REF = (
    "ケース番号",
    "ケースNo",
    "ケースID",
    "台帳番号",
    "旧ID",
    "管理番号",
    "case number",
    "case no",
    "case id",
)
_NAMES = (
    Target(
        "full_name", _("氏名"), ("氏名", "名前", "本人氏名", "氏名（本人）", "name", "full name")
    ),
    Target("family_name", _("姓"), ("姓", "苗字", "名字", "family name", "last name", "surname")),
    Target("given_name", _("名"), ("名", "given name", "first name")),
    Target(
        "full_name_kana",
        _("ふりがな"),
        (
            "ふりがな",
            "フリガナ",
            "よみがな",
            "ヨミガナ",
            "カナ",
            "かな",
            "氏名カナ",
            "氏名ふりがな",
            "kana",
            "furigana",
        ),
    ),
    Target(
        "family_name_kana",
        _("せい（ふりがな）"),
        ("せい", "姓ふりがな", "姓カナ", "family name kana"),
    ),
    Target(
        "given_name_kana",
        _("めい（ふりがな）"),
        ("めい", "名ふりがな", "名カナ", "given name kana"),
    ),
)
_PHONE = Target(
    "phone", _("電話番号"), ("電話番号", "電話", "TEL", "連絡先", "携帯", "phone", "telephone")
)

TARGETS: dict[str, tuple[Target, ...]] = {
    CASES: (
        Target(
            "external_id",
            _("台帳番号（元の表の番号）"),
            ("ケース番号", "ケースNo", "旧ケース番号", *_EXTERNAL_ID, "case number", "case no"),
        ),
        Target(
            "case_number",
            _("ケース番号（つなぐ）"),
            ("つなぐケース番号", "つなぐの番号", "tsunagu case number"),
        ),
        *_NAMES,
        Target(
            "birth_date",
            _("生年月日"),
            ("生年月日", "誕生日", "birth date", "date of birth", "DOB", "birthday"),
        ),
        Target("age", _("年齢・年代"), ("年齢", "年代", "age", "age band")),
        Target("gender", _("性別"), ("性別", "gender", "sex")),
        Target("postal_code", _("郵便番号"), ("郵便番号", "〒", "postal code", "zip code", "zip")),
        Target("address", _("住所"), ("住所", "現住所", "address")),
        Target("prefecture", _("都道府県"), ("都道府県", "prefecture")),
        Target("municipality", _("市区町村"), ("市区町村", "市町村", "municipality", "city")),
        Target("address_line", _("番地・建物"), ("番地", "番地・建物", "町名番地", "address line")),
        _PHONE,
        Target(
            "first_contact_date",
            _("初回相談日"),
            (
                "初回相談日",
                "受付日",
                "初回日",
                "相談開始日",
                "初回相談",
                "初回受付日",
                "first contact date",
                "intake date",
            ),
            required=True,
        ),
        Target(
            "first_contact_by",
            _("初回相談者"),
            ("初回相談者", "相談者", "初回の相談者", "相談経路", "first contact by"),
            required=True,
        ),
        Target(
            "withdrawal_since",
            _("ひきこもり開始（年・年月）"),
            (
                "ひきこもり開始",
                "ひきこもり開始時期",
                "ひきこもり時期",
                "ひきこもり始期",
                "withdrawal since",
            ),
        ),
        Target("severity", _("状態の程度"), ("状態の程度", "程度", "重症度", "severity")),
        Target("support_stage", _("支援段階"), ("支援段階", "段階", "support stage", "stage")),
        Target("status", _("状態"), ("状態", "ステータス", "支援状況", "対応状況", "status")),
        Target("closure_reason", _("終結理由"), ("終結理由", "終了理由", "closure reason")),
        Target("closed_on", _("終結日"), ("終結日", "終了日", "closed on", "closure date")),
        Target("paused_until", _("休止期限"), ("休止期限", "休止期間", "paused until")),
        Target(
            "primary_counsellor",
            _("担当者"),
            ("担当者", "担当", "担当相談員", "主担当", "担当職員", "counsellor", "counselor"),
        ),
        Target(
            "person_aware",
            _("本人は家族の相談を知っているか"),
            ("本人は家族の相談を知っているか", "本人の認知", "本人は知っているか", "person aware"),
        ),
        Target(
            "risk_self_harm",
            _("自傷・自殺のおそれ"),
            ("自傷・自殺のおそれ", "自傷", "自殺", "自傷・自殺", "self-harm"),
        ),
        Target("risk_violence", _("家庭内暴力"), ("家庭内暴力", "暴力", "DV", "violence")),
        Target(
            "risk_parent_ill",
            _("親の病気・要介護"),
            ("親の病気・要介護", "親の病気", "親の介護", "parent ill"),
        ),
        Target(
            "followup_interval_days",
            _("フォローアップ間隔（日）"),
            (
                "フォローアップ間隔",
                "フォローアップ間隔（日）",
                "フォロー間隔",
                "follow-up interval",
            ),
        ),
    ),
    CONTACTS: (
        Target("case", _("ケース番号・台帳番号"), _CASE_REF, required=True),
        Target(
            "external_id",
            _("相談記録の番号"),
            ("相談記録番号", "記録番号", "記録ID", "相談ID", "contact id"),
        ),
        Target(
            "date",
            _("相談日（日時）"),
            (
                "相談日",
                "日付",
                "年月日",
                "相談日時",
                "日時",
                "対応日",
                "実施日",
                "date",
                "contact date",
            ),
            required=True,
        ),
        Target("time", _("時刻"), ("時刻", "時間", "開始時刻", "開始時間", "time")),
        Target(
            "duration",
            _("所要時間（分）"),
            ("所要時間", "所要時間（分）", "相談時間", "時間（分）", "分", "duration", "minutes"),
        ),
        Target(
            "channel",
            _("相談方法"),
            ("相談方法", "方法", "手段", "相談形態", "形態", "種別", "channel", "method"),
            required=True,
        ),
        Target(
            "counterpart",
            _("相手"),
            ("相手", "相談者", "対象者", "対応相手", "counterpart", "with whom"),
            required=True,
        ),
        Target(
            "counterpart_detail",
            _("相手の詳細"),
            ("相手の詳細", "続柄", "相談者詳細", "関係機関名", "counterpart detail"),
        ),
        Target(
            "staff",
            _("対応者"),
            ("対応者", "担当者", "担当", "対応職員", "相談員", "staff", "counsellor", "counselor"),
        ),
        Target(
            "two_way", _("双方向の連絡"), ("双方向", "双方向の連絡", "応答", "two-way", "two way")
        ),
        Target(
            "note",
            _("相談内容"),
            ("相談内容", "内容", "記録", "経過", "メモ", "概要", "note", "notes", "summary"),
        ),
        Target(
            "next_action", _("次の対応"), ("次の対応", "今後の対応", "次回", "方針", "next action")
        ),
    ),
    FAMILY: (
        Target("case", _("ケース番号・台帳番号"), _CASE_REF, required=True),
        Target("external_id", _("家族の番号"), ("家族番号", "家族ID", "member id")),
        Target(
            "relation",
            _("続柄"),
            ("続柄", "関係", "本人との関係", "relation", "relationship"),
            required=True,
        ),
        *_NAMES,
        Target("birth_date", _("生年月日"), ("生年月日", "誕生日", "birth date", "date of birth")),
        Target("birth_year", _("生まれ年"), ("生まれ年", "生年", "birth year")),
        Target("age", _("年齢"), ("年齢", "age")),
        Target(
            "lives_with_person",
            _("本人と同居"),
            ("同居", "本人と同居", "同居の有無", "同別居", "lives with person"),
        ),
        _PHONE,
        Target(
            "contact_consent",
            _("センターからの連絡に同意"),
            ("連絡の同意", "連絡同意", "連絡可", "同意", "consent"),
        ),
        Target("status", _("状況"), ("状況", "健在", "生死", "status")),
        Target("status_since", _("状況の日付"), ("状況の日付", "死亡日", "転出日", "status since")),
        Target(
            "person_aware",
            _("本人はこの家族の相談を知っているか"),
            ("本人の認知", "本人は知っているか", "person aware"),
        ),
        Target(
            "is_primary_contact",
            _("主な連絡先"),
            ("主な連絡先", "キーパーソン", "主たる連絡先", "primary contact"),
        ),
        Target(
            "health_notes",
            _("健康・介護の状況"),
            ("健康・介護の状況", "健康状態", "介護", "健康", "health notes"),
        ),
    ),
}


def target(shape: str, key: str) -> Target:
    return next(t for t in TARGETS[shape] if t.key == key)


def suggest(shape: str, headers: list[str]) -> dict[int, str]:
    """Column index → target key, from the header words: exact matches first, then the
    longest word a header contains (電話番号 is the phone, not a 番号). Each target at most
    once, the leftmost column first."""
    targets = TARGETS[shape]
    keys = [word_key(header) for header in headers]
    chosen: dict[int, str] = {}
    taken: set[str] = set()

    def take(index: int, key: str) -> None:
        chosen[index] = key
        taken.add(key)

    for index, header in enumerate(keys):
        for candidate in targets:
            words = {word_key(candidate.label), *(word_key(word) for word in candidate.headers)}
            if header and candidate.key not in taken and header in words:
                take(index, candidate.key)
                break
    words_by_length = sorted(
        ((word_key(word), candidate.key) for candidate in targets for word in candidate.headers),
        key=lambda pair: -len(pair[0]),
    )
    for index, header in enumerate(keys):
        if index in chosen or not header:
            continue
        for word, key in words_by_length:
            if len(word) >= 2 and key not in taken and word in header:
                take(index, key)
                break
    return chosen
