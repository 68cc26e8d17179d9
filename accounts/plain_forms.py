"""Forms rendered as plain Bootstrap markup from a list of `Control`s, for the forms on the
busiest pages (the case list's filter, the case page's contact form).

crispy renders each field through a chain of templates (field, label, widget, help text,
errors; a select's every option through Django's own option template): ≈ 40 template
includes for the contact form, tens of milliseconds on every case page. These controls carry
what the markup needs, resolved in Python once, and `templates/_controls.html` writes them in
one loop with the same accessibility as crispy's: a `<label for>` per control, the required
mark, help text and errors tied by `aria-describedby`, `is-invalid` on a refused value, and
the value the user typed kept on a refused form.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django import forms
from django.forms.utils import flatatt

# The widget's own attributes passed on to the markup (min/max/step of a number, rows of a
# text area, autocomplete hints); the ones the template writes itself are left out.
PASSED_ATTRS = ("min", "max", "step", "rows", "maxlength", "autocomplete", "inputmode", "pattern")


@dataclass
class Control:
    name: str
    id: str
    label: str
    value: str
    errors: list[str]
    kind: str = "input"  # input | select | textarea | checkbox
    input_type: str = "text"
    options: list[tuple[str, str, bool]] = field(default_factory=list)  # (value, label, selected)
    placeholder: str = ""
    required: bool = False
    # The `required` attribute itself: not on a select whose first option is a value (HTML
    # forbids it there, and nothing can be left unchosen anyway), as Django decides it.
    required_attribute: bool = False
    help_text: str = ""
    checked: bool = False
    attrs: str = ""  # flatatt: already escaped, marked safe

    @property
    def described_by(self) -> str:
        ids = [f"{self.id}-help"] if self.help_text else []
        return " ".join([*ids, f"{self.id}-error"] if self.errors else ids)


def _kind(widget: forms.Widget) -> str:
    if isinstance(widget, forms.CheckboxInput):
        return "checkbox"
    if isinstance(widget, forms.Select):
        return "select"
    if isinstance(widget, forms.Textarea):
        return "textarea"
    return "input"


def controls(form: forms.BaseForm) -> list[Control]:
    """The form's visible fields as controls, in the form's order."""
    result = []
    for bound in form.visible_fields():
        widget = bound.field.widget
        kind = _kind(widget)
        raw = bound.value()
        current, options = "", []
        if kind == "select":
            value = widget.format_value(raw)  # a list, but one string for NullBooleanSelect
            chosen = set(value) if isinstance(value, list) else {str(value)}
            options = [
                (str(choice), str(label), str(choice) in chosen)
                for choice, label in widget.choices  # type: ignore[attr-defined]
            ]
        elif kind != "checkbox":
            value = widget.format_value(raw)
            current = "" if value is None else str(value)
        passed = {key: widget.attrs[key] for key in PASSED_ATTRS if key in widget.attrs}
        result.append(
            Control(
                name=bound.html_name,
                id=bound.id_for_label or bound.auto_id or bound.html_name,
                label=str(bound.label),
                value=current,
                errors=[str(error) for error in bound.errors],
                kind=kind,
                input_type=widget.attrs.get("type") or getattr(widget, "input_type", "text"),
                options=options,
                placeholder=str(widget.attrs.get("placeholder", "")),
                required=bound.field.required and kind != "checkbox",
                required_attribute=bound.field.required
                and kind != "checkbox"
                and form.use_required_attribute
                and widget.use_required_attribute(bound.initial),
                help_text=str(bound.help_text or ""),
                checked=kind == "checkbox" and widget.check_test(raw),  # type: ignore[attr-defined]
                attrs=flatatt(passed),
            )
        )
    return result
