"""The import pages' forms: the upload, how the file is read (sheet and header row), which
column goes to which field, and the confirmation of a dry run."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import Centre
from records.importing.targets import TARGETS
from records.models import ImportJob, Shape
from records.services.imports import HEADER_SEARCH_ROWS, MAX_BYTES

NOT_IMPORTED = ""


class UploadForm(forms.Form):
    centre = forms.TypedChoiceField(label=_("取り込み先のセンター"), coerce=int)
    shape = forms.ChoiceField(
        label=_("表の種類"), choices=Shape.choices, widget=forms.RadioSelect, initial=Shape.CASES
    )
    file = forms.FileField(
        label=_("ファイル（CSV または Excel の .xlsx）"),
        help_text=_(
            "CSV は UTF-8（BOM あり・なし）と Shift_JIS のどちらでも読めます。"
            "最初の取り込みの前に、見本のファイルで列の書き方を確かめられます。"
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx,.txt"}),
    )

    def __init__(self, *args: Any, centres: list[Centre], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.centres = {centre.pk: centre for centre in centres}
        field = self.fields["centre"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [(centre.pk, centre.name) for centre in centres]
        if len(centres) == 1:  # nothing to choose
            field.widget = forms.HiddenInput()
            field.initial = centres[0].pk
            field.required = False

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_BYTES:
            raise forms.ValidationError(
                _("ファイルが大きすぎます（上限 %(mb)s MB）。ファイルを分けてください。"),
                params={"mb": MAX_BYTES // (1024 * 1024)},
            )
        return upload

    @property
    def chosen_centre(self) -> Centre:
        return self.centres[self.cleaned_data.get("centre") or next(iter(self.centres))]


class ReadAsForm(forms.Form):
    sheet = forms.ChoiceField(label=_("シート"), required=False)
    header_row = forms.IntegerField(
        label=_("見出しの行"), min_value=1, max_value=HEADER_SEARCH_ROWS
    )

    def __init__(self, *args: Any, job: ImportJob, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        sheet = self.fields["sheet"]
        assert isinstance(sheet, forms.ChoiceField)
        sheet.choices = [(name, name) for name in job.sheet_names] or [("", "")]
        if job.file_kind != "xlsx":
            sheet.widget = forms.HiddenInput()
        self.initial.update(sheet=job.sheet, header_row=job.header_row)


class ColumnsForm(forms.Form):
    """One choice per column of the file: the field it goes to, or none."""

    save_as = forms.CharField(
        label=_("この対応付けを保存する名前"),
        max_length=100,
        required=False,
        help_text=_("次に同じ形の表を取り込むとき、自動で選ばれます。例: ケース台帳（Excel）"),
    )

    def __init__(self, *args: Any, job: ImportJob, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [(NOT_IMPORTED, _("（取り込まない）"))] + [
            (t.key, f"{t.label}{' *' if t.required else ''}") for t in TARGETS[job.shape]
        ]
        self.column_names = []
        for index, header in enumerate(job.headers):
            name = f"col_{index}"
            self.fields[name] = forms.ChoiceField(
                label=header,
                choices=choices,
                required=False,
                initial=job.columns.get(str(index), NOT_IMPORTED),
                widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
            )
            self.column_names.append(name)
        self.order_fields([*self.column_names, "save_as"])
        if job.mapping_id and not self.is_bound:
            self.initial["save_as"] = job.mapping.name  # type: ignore[union-attr]

    def columns(self) -> dict[int, str]:
        return {
            index: self.cleaned_data[name]
            for index, name in enumerate(self.column_names)
            if self.cleaned_data.get(name)
        }

    def column_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.column_names]


class ConfirmForm(forms.Form):
    file_hash = forms.CharField(widget=forms.HiddenInput, max_length=64)
    fingerprint = forms.CharField(widget=forms.HiddenInput, max_length=64)
    skip_invalid = forms.BooleanField(
        label=_("取り込めない行を飛ばして、ほかの行を取り込む"),
        required=False,
        help_text=_("選ばなければ、取り込めない行が1行でもあると何も書き込みません。"),
    )
