"""The timeline's rows are written in Python (cases.templatetags.timeline): the same markup
the template wrote, every value escaped, a note's line breaks kept."""

import pytest
from django.template.loader import render_to_string
from django.urls import reverse

from tests.factories import record_contact

pytestmark = pytest.mark.django_db


def test_a_contact_row_shows_its_facts_and_escapes_what_staff_typed(as_alice, alice, case):
    record_contact(
        case,
        alice,
        two_way=False,
        note="<script>alert(1)</script>\n二行目",
        next_action="<b>来週</b>電話",
        counterpart_detail="母&父",
        duration_minutes=25,
    )
    body = as_alice.get(reverse("cases:detail", args=[case.pk])).content.decode()
    timeline = body[body.index('data-testid="timeline"') :]
    row = timeline[timeline.index('<article class="timeline-item kind-contact">') :]
    row = row[: row.index("</article>")]
    assert "<strong>手紙</strong> · 家族（母&amp;父）" in row
    assert '<span class="badge text-bg-light border">一方向</span>' in row
    assert "25分" in row and alice.display_name in row
    assert '<div class="mt-1">&lt;script&gt;alert(1)&lt;/script&gt;<br>二行目</div>' in row
    assert "➡ &lt;b&gt;来週&lt;/b&gt;電話" in row
    assert "<script>" not in timeline


def test_an_empty_timeline_says_so(case):
    html = render_to_string("cases/_timeline.html", {"timeline": [], "case": case})
    assert "まだ記録はありません。" in html and "<article" not in html


def test_the_rows_are_in_english_for_an_english_reader(as_alice, alice, case, settings):
    as_alice.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    record_contact(case, alice, two_way=False)
    body = as_alice.get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert '<span class="badge text-bg-light border">one-way</span>' in body.lower()
