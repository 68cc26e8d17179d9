"""Extension points that the apps above `cases` fill in, so the case page and intake can show
and save their parts without `cases` importing them (the layers, docs/architecture.md).

An app registers in its AppConfig.ready(): `families` adds the household panel to the case
page and the first caller's details to intake; `outreach` adds the meetings that discussed a
case to its timeline (a `TimelineBranch`).

A timeline branch is read inside the timeline's one query (one more SELECT of its UNION ALL,
cases.selectors._timeline_query), so it costs the case page no query: its `rows` must be a
plain queryset of the case's rows, its `entry` must not touch the database. It is not a
contact: what counts as contact (and in the statistics) is written through
`cases.services.contact_record`; a branch only shows something that happened about the case."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.functional import Promise

from accounts.access import AuthenticatedHttpRequest
from accounts.models import Centre, User
from cases.models import Case

StrOrPromise = str | Promise


@dataclass(frozen=True)
class CasePanel:
    """A section of the case page. `context` returns what its template needs, or None to
    leave it out (e.g. the user's role may not see it). It must run a fixed number of
    queries, whatever the case holds: the case page's query count is pinned by a test."""

    key: str
    template: str
    context: Callable[[AuthenticatedHttpRequest, Case], Mapping[str, Any] | None]
    # Static files (JavaScript) the panel needs, loaded once at the end of the page with
    # the page's own (a strict Content-Security-Policy: no inline script).
    scripts: tuple[str, ...] = ()


@dataclass(frozen=True)
class IntakeExtension:
    """A fieldset of the intake form, saved in the same transaction as the new case (a
    failure rolls the case back too). `save` gets the form's cleaned data."""

    prefix: str
    legend: StrOrPromise
    form_class: Callable[..., forms.Form]
    save: Callable[..., None]  # (*, case, by, data, ip) -> None


@dataclass(frozen=True)
class TimelineEntry:
    """What one row of a branch shows: sorted by `at`, dated `when`, "title: summary" linking
    to `url`."""

    at: dt.datetime
    when: str
    title: str
    summary: str
    url: str = ""


@dataclass(frozen=True)
class TimelineBranch:
    """Rows of an app above `cases` on the case timeline. `rows(case)` is the case's rows of
    any model, `order` their newest-first ordering (the newest TIMELINE_LIMIT are read),
    `fields` the columns read (a relation's through `__`), and `entry` turns one row, as the
    dict of those columns read from JSON (dates as ISO strings), into what it shows."""

    kind: str
    rows: Callable[[Case], QuerySet[Any]]
    order: tuple[str, ...]
    fields: tuple[str, ...]
    entry: Callable[[dict[str, Any]], TimelineEntry]


_case_panels: dict[str, CasePanel] = {}
_timeline_branches: dict[str, TimelineBranch] = {}
_intake_extensions: dict[str, IntakeExtension] = {}
# (*, case, by, ip) -> None, by name: called in the transaction that closes a case.
_on_case_closed: dict[str, Callable[..., object]] = {}


def register_case_panel(panel: CasePanel) -> None:
    _case_panels[panel.key] = panel  # by key: registering twice (tests, reloads) is harmless


def register_timeline_branch(branch: TimelineBranch) -> None:
    _timeline_branches[branch.kind] = branch


def timeline_branches() -> dict[str, TimelineBranch]:
    return _timeline_branches


def register_intake_extension(extension: IntakeExtension) -> None:
    _intake_extensions[extension.prefix] = extension


def register_on_case_closed(name: str, callback: Callable[..., object]) -> None:
    """`outreach` cancels a closed case's planned home visits (and frees their staff)."""
    _on_case_closed[name] = callback


def case_closed(*, case: Case, by: User, ip: str | None) -> None:
    for callback in _on_case_closed.values():
        callback(case=case, by=by, ip=ip)


def case_panels(request: AuthenticatedHttpRequest, case: Case) -> list[dict[str, Any]]:
    """The panels to show, each as {"template": ..., **its context}."""
    shown = []
    for panel in _case_panels.values():
        context = panel.context(request, case)
        if context is not None:
            shown.append(
                {
                    "key": panel.key,
                    "template": panel.template,
                    "scripts": panel.scripts,
                    **context,
                }
            )
    return shown


def page_scripts(*needed: tuple[str, ...] | list[str]) -> list[str]:
    """The scripts a page and its panels need, each once, in the order first asked for
    (a library before the code that draws with it)."""
    return list(dict.fromkeys(script for scripts in needed for script in scripts))


def intake_forms(data: Any, *, centres: list[Centre]) -> list[tuple[IntakeExtension, forms.Form]]:
    return [
        (extension, extension.form_class(data, prefix=extension.prefix, centres=centres))
        for extension in _intake_extensions.values()
    ]


def intake_save(
    extension_forms: list[tuple[IntakeExtension, forms.Form]],
    *,
    case: Case,
    by: User,
    ip: str | None,
) -> None:
    for extension, form in extension_forms:
        extension.save(case=case, by=by, data=form.cleaned_data, ip=ip)
