"""The contact form on the case page is plain markup (accounts.plain_forms), not crispy's
template chain: every control keeps its label, required mark, constraints, and on a refused
form the values typed, the error tied to its control."""

import re

import pytest
from django import forms
from django.urls import reverse

from accounts.plain_forms import controls
from cases.forms import ContactForm

pytestmark = pytest.mark.django_db


def control_markup(body: str, name: str) -> str:
    """The markup of the control named `name` (its input, select or textarea tag)."""
    match = re.search(rf'<(input|select|textarea)[^>]*name="{name}"[^>]*>', body)
    assert match, f"no control {name}"
    return match.group(0)


def test_every_contact_field_has_a_label_tied_to_its_control(as_alice, case):
    body = as_alice.get(reverse("cases:detail", args=[case.pk])).content.decode()
    panel = body[body.index('id="contact-panel"') :]
    for name in ContactForm.Meta.fields:
        markup = control_markup(panel, name)
        control_id = re.search(r'id="([^"]+)"', markup).group(1)  # type: ignore[union-attr]
        assert f'<label class="form-label" for="{control_id}">' in panel or (
            f'<label class="form-check-label" for="{control_id}">' in panel
        )
    assert 'type="datetime-local"' in control_markup(panel, "occurred_at")
    duration = control_markup(panel, "duration_minutes")
    assert 'type="number"' in duration and 'min="0"' in duration and 'max="1440"' in duration
    assert 'rows="4"' in control_markup(panel, "note")
    assert "required" in control_markup(panel, "channel")
    assert "crispy" not in panel and "asteriskField" not in panel


def test_a_refused_contact_keeps_every_value_typed_and_marks_the_field(as_alice, case):
    typed = {
        "occurred_at": "2099-01-01T10:00",
        "duration_minutes": "25",
        "channel": "centre_visit",
        "counterpart": "person",
        "counterpart_detail": "本人と母",
        "two_way": "on",
        "note": "<b>消えてはいけない</b>メモ",
        "next_action": "来週もう一度",
    }
    body = as_alice.post(
        reverse("cases:contact_add", args=[case.pk]), typed, HTTP_HX_REQUEST="true"
    ).content.decode()
    occurred = control_markup(body, "occurred_at")
    assert 'value="2099-01-01T10:00"' in occurred and "is-invalid" in occurred
    assert 'aria-describedby="id_occurred_at-error"' in occurred
    assert re.search(r'id="id_occurred_at-error"[^>]*>[^<]*未来の日時', body)
    assert 'value="25"' in control_markup(body, "duration_minutes")
    assert '<option value="centre_visit" selected>' in body
    assert '<option value="person" selected>' in body
    assert 'value="本人と母"' in control_markup(body, "counterpart_detail")
    assert "checked" in control_markup(body, "two_way")
    # The note is escaped, not markup.
    assert "&lt;b&gt;消えてはいけない&lt;/b&gt;メモ</textarea>" in body
    assert 'value="来週もう一度"' in control_markup(body, "next_action")


def test_controls_of_a_select_mark_the_chosen_option_and_escape_nothing_twice():
    class Small(forms.Form):
        colour = forms.ChoiceField(choices=[("a", "A & B"), ("b", "B")], help_text="選ぶ")
        agree = forms.BooleanField(required=False)

    colour, agree = controls(Small({"colour": "b"}))
    assert colour.options == [("a", "A & B", False), ("b", "B", True)]
    assert colour.required and colour.described_by == "id_colour-help"
    assert not agree.required and not agree.checked
    refused = controls(Small({"colour": "zz", "agree": "on"}))
    assert refused[0].errors and refused[0].described_by == "id_colour-help id_colour-error"
    assert refused[1].checked
