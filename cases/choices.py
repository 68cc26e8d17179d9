"""The choices of the case file, as TextChoices with Japanese labels (English in the
catalogue). Code outside the models refers to them by name, never by their values: the sweep's
SQL gets them as parameters."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Gender(models.TextChoices):
    FEMALE = "female", _("女性")
    MALE = "male", _("男性")
    OTHER = "other", _("その他")
    UNANSWERED = "unanswered", _("回答なし・不明")


class AgeBand(models.TextChoices):
    UNDER_20 = "under20", _("20歳未満")
    TWENTIES = "20s", _("20代")
    THIRTIES = "30s", _("30代")
    FORTIES = "40s", _("40代")
    FIFTIES = "50s", _("50代")
    SIXTIES_PLUS = "60plus", _("60代以上")
    UNKNOWN = "unknown", _("不明")


class FirstContactBy(models.TextChoices):
    PERSON = "person", _("本人")
    FAMILY = "family", _("家族")
    SCHOOL = "school", _("学校")
    MEDICAL = "medical", _("医療機関")
    AGENCY = "agency", _("他機関")
    OTHER = "other", _("その他")


class Severity(models.TextChoices):
    MILD = "mild", _("軽度")
    MODERATE = "moderate", _("中度")
    SEVERE = "severe", _("重度")


class SupportStage(models.TextChoices):
    FAMILY = "family", _("家族支援")
    INDIVIDUAL = "individual", _("個人支援")
    GROUP = "group", _("集団・居場所")
    PARTICIPATION = "participation", _("社会参加")


class CaseStatus(models.TextChoices):
    OPEN = "open", _("対応中")
    PAUSED = "paused", _("休止中")
    CLOSED = "closed", _("終結")


class ClosureReason(models.TextChoices):
    GOAL_REACHED = "goal_reached", _("目標達成")
    REFERRED_ON = "referred_on", _("他機関へつなぎ")
    MOVED = "moved", _("転居")
    CONTACT_LOST = "contact_lost", _("連絡途絶")
    DECLINED = "declined", _("支援辞退")
    DEATH = "death", _("死亡")
    # Set by a move to another centre (cases.services.case_move_to_centre), never chosen by
    # hand: the case goes on there under a new number.
    TRANSFERRED = "transferred", _("他センターへ移管")


class PersonAware(models.TextChoices):
    YES = "yes", _("知っている")
    NO = "no", _("知らない")
    UNKNOWN = "unknown", _("不明")


class SilenceStage(models.TextChoices):
    OK = "ok", _("通常")
    REMINDED = "reminded", _("リマインド済み")
    ESCALATED = "escalated", _("エスカレーション済み")


class Channel(models.TextChoices):
    PHONE = "phone", _("電話")
    CENTRE_VISIT = "centre_visit", _("来所")
    HOME_VISIT = "home_visit", _("訪問")
    EMAIL = "email", _("メール")
    SNS = "sns", _("SNS・チャット")
    ACCOMPANIED = "accompanied", _("同行")
    ONLINE = "online", _("オンライン")
    LETTER = "letter", _("手紙")
    IBASHO = "ibasho", _("居場所")
    FAMILY_CLASS = "family_class", _("家族教室")


class Counterpart(models.TextChoices):
    PERSON = "person", _("本人")
    FAMILY = "family", _("家族")
    PERSON_AND_FAMILY = "both", _("本人と家族")
    AGENCY = "agency", _("関係機関")
    OTHER = "other", _("その他")


class ContactSource(models.TextChoices):
    MANUAL = "manual", _("相談記録")
    INTAKE = "intake", _("受付")
    HOME_VISIT = "home_visit", _("訪問記録")
    IBASHO = "ibasho", _("居場所")
    FAMILY_CLASS = "family_class", _("家族教室")


class ConsentScope(models.TextChoices):
    SHARE_WITH_AGENCY = "share_agency", _("関係機関への情報提供")
    SENSITIVE_INFO = "sensitive_info", _("要配慮個人情報の取得")
    CONTACT_FAMILY = "contact_family", _("家族への連絡")
    HOME_VISIT = "home_visit", _("訪問")
    IBASHO_RECORD = "ibasho_record", _("居場所の利用をケース記録に残す")
    OTHER = "other", _("その他")


class DestinationKind(models.TextChoices):
    PUBLIC_HEALTH = "public_health", _("保健所")
    MEDICAL = "medical", _("医療機関")
    SAPOSTE = "saposte", _("地域若者サポートステーション")
    SELF_RELIANCE = "self_reliance", _("自立相談支援機関")
    WELFARE_OFFICE = "welfare_office", _("福祉事務所")
    HELLO_WORK = "hello_work", _("ハローワーク")
    SCHOOL = "school", _("学校")
    ELDERLY_CARE = "elderly_care", _("地域包括支援センター")
    MENTAL_HEALTH = "mental_health", _("精神保健福祉センター")
    NPO = "npo", _("NPO・家族会")
    OTHER = "other", _("その他")


class ReferralOutcome(models.TextChoices):
    PENDING = "pending", _("確認中")
    ACCEPTED = "accepted", _("受け入れ")
    DECLINED = "declined", _("辞退・不成立")
