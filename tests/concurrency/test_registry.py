"""The registry is complete: every URL that takes an object id is an edit form with its
concurrency test (`EDIT_FORMS`) or is named, with why, as something else (`NOT_EDIT_FORMS`);
every form that carries a version is tested; every form of a versioned model carries the
version or is named as a form that creates (nothing earlier to overwrite)."""

from __future__ import annotations

from collections.abc import Iterator

from django import forms
from django.urls import URLPattern, URLResolver, get_resolver

from tests.concurrency.registry import EDIT_FORMS, NOT_EDIT_FORMS

PROJECT_APPS = ("accounts", "cases", "reminders", "families", "outreach", "records", "dashboards")

# Forms of a model with a version that do not carry it: they make a new row (or, MemberForm,
# are the add form that MemberEditForm extends with the version).
CREATE_FORMS = {
    "cases.forms.IntakeCaseForm": "intake makes the case",
    "cases.forms.ReferralForm": "records a new referral; its outcome is ReferralOutcomeForm",
    "families.forms.household.MemberForm": "adds a member; MemberEditForm adds the version",
    "families.forms.programmes.ProgrammeForm": "creates a programme and its sessions",
    "outreach.forms.sessions.SessionForm": "creates a one-off ibasho session",
    "outreach.forms.visits.VisitPlanForm": "plans a new visit",
}


def _routes(patterns: list, namespace: str | None = None) -> Iterator[tuple[str, str]]:  # type: ignore[type-arg]
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _routes(pattern.url_patterns, pattern.namespace or namespace)
        elif isinstance(pattern, URLPattern) and pattern.name:
            name = f"{namespace}:{pattern.name}" if namespace else pattern.name
            yield name, str(pattern.pattern)


def routes_with_an_id() -> dict[str, str]:
    """Every named URL of the project with a path parameter (an object id, a token), the
    Django admin's aside (it is the superuser's tool, outside the centres' workflow)."""
    return {
        name: route
        for name, route in _routes(get_resolver().url_patterns)
        if "<" in route and not name.startswith("admin:")
    }


def project_forms() -> dict[str, type[forms.BaseForm]]:
    get_resolver().url_patterns  # noqa: B018 — importing every view imports every form
    found: dict[str, type[forms.BaseForm]] = {}
    todo: list[type] = [forms.BaseForm]
    while todo:
        cls = todo.pop()
        todo.extend(cls.__subclasses__())
        if cls.__module__.split(".")[0] in PROJECT_APPS:
            found[f"{cls.__module__}.{cls.__qualname__}"] = cls
    return found


def test_every_url_with_an_object_id_is_an_edit_form_or_named_as_something_else():
    registered = {entry.url_name for entry in EDIT_FORMS}
    unclassified = sorted(set(routes_with_an_id()) - registered - set(NOT_EDIT_FORMS))
    assert not unclassified, (
        "URLs with an id in neither EDIT_FORMS nor NOT_EDIT_FORMS (tests/concurrency/registry.py):"
        f" {unclassified}"
    )


def test_the_registry_names_only_urls_that_exist_each_once():
    routes = routes_with_an_id()
    names = [entry.url_name for entry in EDIT_FORMS]
    assert len(names) == len(set(names))
    assert not set(names) & set(NOT_EDIT_FORMS)
    assert sorted({*names, *NOT_EDIT_FORMS} - set(routes)) == []


def test_every_form_carrying_a_version_has_its_concurrency_test():
    tested = {entry.form for entry in EDIT_FORMS}
    versioned = {
        name
        for name, cls in project_forms().items()
        if "version" in cls.base_fields and getattr(getattr(cls, "_meta", None), "model", None)
    }
    untested = sorted(name for name in versioned if project_forms()[name] not in tested)
    assert not untested, f"forms with a version and no EDIT_FORMS entry: {untested}"


def test_every_form_of_a_versioned_model_carries_the_version_or_creates():
    missing = []
    for name, cls in project_forms().items():
        model = getattr(getattr(cls, "_meta", None), "model", None)
        has_version = model is not None and any(f.name == "version" for f in model._meta.fields)
        if has_version and "version" not in cls.base_fields and name not in CREATE_FORMS:
            missing.append(name)
    assert not missing, f"forms of a versioned model without the version: {sorted(missing)}"
    assert set(CREATE_FORMS) <= set(project_forms())  # no stale names


def test_each_entry_s_form_is_of_its_view_s_app():
    """A slip of the pen (an entry naming another app's form) shows here."""
    for entry in EDIT_FORMS:
        assert entry.form.__module__.split(".")[0] == entry.url_name.split(":")[0], entry.id
