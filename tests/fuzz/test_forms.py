"""Every form of every app under hostile input (issue 16, "Bad input"), through the real views
and PostgreSQL: never a 500; a refused form shows again with what was typed, escaped; and what
a form stored is escaped on every page that shows it."""

from __future__ import annotations

import importlib
import inspect
import os
import pkgutil
from collections import Counter
from typing import Any

import pytest
from django import forms
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils.html import escape
from hypothesis import given
from hypothesis import strategies as st

from tests.fuzz.html_form import form_values
from tests.fuzz.registry import ENTRIES, NOT_POSTED, Entry
from tests.fuzz.strategies import HTML_PAYLOADS, STRATEGIES, TYPED_KINDS, kind_of
from tests.fuzz.world import World

APPS = ("accounts", "cases", "families", "outreach", "reminders", "records", "dashboards")
REFUSED_MARKS = ("is-invalid", "errorlist", "invalid-feedback")


def project_forms() -> set[str]:
    """Every Form/ModelForm class defined in the apps' modules (migrations and management
    commands aside), by dotted path."""
    found = set()
    for app in APPS:
        package = importlib.import_module(app)
        for module_info in pkgutil.walk_packages(package.__path__, f"{app}."):
            if ".migrations" in module_info.name or ".management" in module_info.name:
                continue
            module = importlib.import_module(module_info.name)
            for _name, cls in inspect.getmembers(module, inspect.isclass):
                if issubclass(cls, forms.BaseForm) and cls.__module__ == module.__name__:
                    found.add(f"{cls.__module__}.{cls.__qualname__}")
    return found


def test_every_form_of_the_project_has_a_fuzz_entry() -> None:
    registered = {entry.form for entry in ENTRIES}
    missing = project_forms() - registered - set(NOT_POSTED)
    assert not missing, f"forms without an entry in tests/fuzz/registry.py: {sorted(missing)}"
    assert not registered - project_forms(), "an entry names a form that no longer exists"


def _form_class(entry: Entry) -> type[forms.BaseForm]:
    module, _, name = entry.form.rpartition(".")
    return getattr(importlib.import_module(module), name)


def _client(world: World, who: str) -> Client:
    if who == "mallory-unverified":  # signed in, with a device, the code still to enter
        from django_otp.plugins.otp_totp.models import TOTPDevice

        mallory = world.users["mallory"]
        TOTPDevice.objects.get_or_create(user=mallory, name="test", confirmed=True)
        client = Client()
        client.force_login(mallory)
        return client
    return world.client(who)


def _fields(entry: Entry, world: World) -> dict[str, str]:
    """The posted names to fuzz, with their kind."""
    base_fields = _form_class(entry).base_fields
    names = entry.fields if entry.fields is not None else tuple(base_fields)
    kinds = {name: kind_of(base_fields[name]) for name in names if name not in entry.skip}
    kinds = {name: kind for name, kind in kinds.items() if kind != "file"}
    kinds.update(entry.dynamic(world) if entry.dynamic else {})
    prefix = entry.prefix.format(member=world.member.pk, attendance=world.attendance.pk)
    return {f"{prefix}-{name}" if prefix else name: kind for name, kind in kinds.items()}


class _Rollback(Exception):
    """Ends an example's transaction so that each example starts from the same world."""


def _html(response: Any) -> str:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode("utf-8", "replace")
    return response.content.decode("utf-8", "replace")


def _assert_escaped(html: str, posted: dict[str, Any], where: str) -> None:
    for name, value in posted.items():
        for text in value if isinstance(value, list) else [value]:
            for payload in HTML_PAYLOADS:
                if isinstance(text, str) and payload in text:
                    assert payload not in html, f"{name}: {payload!r} unescaped on {where}"


def _has_markup(posted: dict[str, Any]) -> bool:
    texts = [t for v in posted.values() for t in (v if isinstance(v, list) else [v])]
    return any(isinstance(t, str) and p in t for t in texts for p in HTML_PAYLOADS)


def _assert_input_kept(html: str, posted: dict[str, Any], kinds: dict[str, str]) -> bool:
    if not any(mark in html for mark in REFUSED_MARKS):
        return False  # saved (a fresh form), or refused before the form (a message, a 404)
    for name, value in posted.items():
        if kinds.get(name) in TYPED_KINDS and isinstance(value, str) and f'name="{name}"' in html:
            assert escape(value) in html, f"{name}: the typed value was lost on a refused form"
    return True


@pytest.mark.parametrize(
    "entry", ENTRIES, ids=[f"{e.form.rpartition('.')[2]}@{i}" for i, e in enumerate(ENTRIES)]
)
def test_a_form_survives_hostile_input(entry: Entry, world: World, db: None) -> None:
    client = _client(world, entry.user)
    post_to = entry.post_to(world)
    kinds = _fields(entry, world)
    shown: dict[str, list[str]] = {}
    if entry.on_page:
        page = client.get((entry.page or entry.post_to)(world))
        assert page.status_code == 200, f"the form's page answered {page.status_code}"
        shown = form_values(_html(page))
        assert set(kinds) & set(shown), f"none of {sorted(kinds)} is on the form's page"
    browser: dict[str, Any] = {n: v if len(v) != 1 else v[0] for n, v in shown.items()}
    browser.update(entry.base(world) if entry.base else {})
    fuzzed = st.dictionaries(
        st.sampled_from(sorted(kinds)), st.none(), min_size=1, max_size=3
    ).flatmap(
        lambda chosen: st.fixed_dictionaries({name: STRATEGIES[kinds[name]] for name in chosen})
    )

    seen: Counter[str] = Counter()

    @given(values=fuzzed)
    def post(values: dict[str, Any]) -> None:
        data = {**browser, **values}
        try:
            with transaction.atomic():
                send = client.get if entry.method == "get" else client.post
                response = send(post_to, data)
                assert response.status_code < 500
                seen[f"answered {response.status_code}"] += 1
                html = _html(response)
                _assert_escaped(html, values, post_to)
                seen["refused, typed values kept"] += _assert_input_kept(html, values, kinds)
                # Where what was stored is shown: read only when there is markup to look for.
                pages = [response["Location"]] if response.status_code == 302 else []
                pages += [shown_on(world) for shown_on in entry.shown_on]
                for url in pages if _has_markup(values) else []:
                    if url.startswith("/"):
                        shown_page = client.get(url)
                        assert shown_page.status_code < 500, url
                        _assert_escaped(_html(shown_page), values, url)
                        seen["pages read for stored markup"] += 1
                raise _Rollback
        except _Rollback:
            pass

    post()
    if summary := os.environ.get("FUZZ_SUMMARY"):  # what the examples met, for the figures
        with open(summary, "a") as out:
            out.write(f"{entry.form} {post_to} {dict(seen)}\n")


def test_the_checks_catch_unescaped_markup_and_lost_input() -> None:
    payload = HTML_PAYLOADS[0]
    _assert_escaped(f"<p>{escape(payload)}</p>", {"note": payload}, "page")
    with pytest.raises(AssertionError):
        _assert_escaped(f"<p>{payload}</p>", {"note": payload}, "page")
    refused = '<input name="note" class="is-invalid" value="{}">'
    assert _assert_input_kept(refused.format(escape(payload)), {"note": payload}, {"note": "text"})
    with pytest.raises(AssertionError):
        _assert_input_kept(refused.format(""), {"note": payload}, {"note": "text"})


def test_the_case_list_search_and_filters_survive_hostile_input(world: World, db: None) -> None:
    """The case list's filters are a django-filter FilterSet (its form is generated, so the
    registry's class walk does not see it): the search text is POSTed and kept in the session,
    the other filters travel in the query string."""
    from cases.filters import CaseFilter

    client = world.client("alice")
    url = reverse("cases:list")
    names = sorted(CaseFilter.base_filters)
    seen: Counter[str] = Counter()

    @given(
        q=STRATEGIES["text"],
        filters=st.dictionaries(st.sampled_from(names), STRATEGIES["choice"] | STRATEGIES["text"]),
    )
    def search(q: str, filters: dict[str, str]) -> None:
        posted = client.post(url, {"q": q, **filters})
        # Filters longer than a URL may be (Django's redirect limit) are a 400, not a 500.
        assert posted.status_code in (302, 400)
        listed = client.get(posted["Location"] if posted.status_code == 302 else url)
        assert listed.status_code < 500
        seen[f"answered {listed.status_code}"] += 1
        _assert_escaped(_html(listed), {"q": q, **filters}, url)

    search()
    assert seen["answered 200"], seen
