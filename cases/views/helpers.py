"""What every case view does the same way: fetch the case through the access helper, show a
form that calls a service, keep the user's input on any error. Views of the apps above
`cases` that work on a case use these too."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpResponse
from django.shortcuts import redirect, render

from accounts.access import AuthenticatedHttpRequest
from accounts.forms import STALE_EDIT, set_bound_values
from accounts.models import AuditAction
from accounts.services import client_ip
from cases import access as case_access
from cases import selectors, services
from cases.models import Case

# Where a request remembers which views of which case it has put on the audit trail.
_VIEWS_RECORDED = "_tsunagu_case_views_recorded"


def case_viewed(
    request: AuthenticatedHttpRequest,
    case: Case,
    *,
    obj: Any = None,
    action: AuditAction = AuditAction.VIEW,
) -> None:
    """This response shows the case's data: one audit event per request, case and action,
    however many times the view fetched the case (references only, never a value)."""
    recorded: set[tuple[int, str]] = getattr(request, _VIEWS_RECORDED, set())
    key = (case.pk, str(action))
    if key in recorded:
        return
    setattr(request, _VIEWS_RECORDED, recorded | {key})
    services.case_view_record(
        case=case, by=request.user, ip=client_ip(request), obj=obj, action=action
    )


def case_for(
    request: AuthenticatedHttpRequest,
    pk: Any,
    action: str,
    *,
    queryset: QuerySet[Case] | None = None,
    record_view: bool = True,
) -> Case:
    """The case if the user's centre has it (else 404), then the role check (else 403): an
    outsider learns nothing, not even that the case exists. Every view of a case, in this app
    or above, fetches it here: a GET (which shows the case) is a VIEW on its audit trail,
    once per request; a POST records what it changes instead. `record_view=False` only for
    a view that records its own, more precise view (the sensitive page). The role check is
    cases.access.require: the role's permission in its centres, or an open break-glass
    window (read-only), the same for every view."""
    case = selectors.get_case_for_user(request.user, pk, queryset)
    case_access.require(request.user, case, action)
    if record_view and request.method in ("GET", "HEAD"):
        case_viewed(request, case)
    return case


def apply_errors(form: forms.BaseForm, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


def refuse_stale_edit(form: forms.BaseForm) -> None:
    """Someone saved the record since this form was loaded: keep what the user typed, say so,
    and carry the version saved since, so that saving again, knowingly, after checking the
    other change, goes through instead of being refused for ever."""
    form.add_error(None, STALE_EDIT)
    instance = getattr(form, "instance", None)
    if instance is None or instance.pk is None:
        return
    current = type(instance).objects.filter(pk=instance.pk).values_list("version", flat=True)
    set_bound_values(form, {form.add_prefix("version"): str(current.first())})


@dataclass
class Outcome:
    """How a save behind a valid form went: `saved` (with what the service returned), or
    refused, the form then carrying why and `status` the response to re-render it with."""

    saved: bool
    status: int = 200
    result: Any = None


def try_save(form: forms.BaseForm, save: Callable[[], Any]) -> Outcome:
    """Call the service behind a valid form. A stale edit is a 409 with the input kept (and
    the version saved since, so saving again knowingly goes through); a refusal by the
    service shows its reasons on the form."""
    try:
        return Outcome(saved=True, result=save())
    except services.StaleEdit:
        refuse_stale_edit(form)
        return Outcome(saved=False, status=409)
    except ValidationError as error:
        apply_errors(form, error)
        return Outcome(saved=False)


def form_page(
    request: AuthenticatedHttpRequest,
    *,
    case: Case,
    form: forms.BaseForm,
    save: Callable[[], Any],
    title: str,
    success: str,
    template: str = "cases/form_page.html",
    extra: dict[str, Any] | None = None,
) -> HttpResponse:
    """GET shows the form; a valid POST calls `save` (a service) and returns to the case.
    Errors, including a stale edit, re-render the form with everything the user typed."""
    status = 200
    if request.method == "POST" and form.is_valid():
        outcome = try_save(form, save)
        if outcome.saved:
            messages.success(request, success)
            return redirect("cases:detail", pk=case.pk)
        status = outcome.status
    context = {"case": case, "form": form, "title": title, **(extra or {})}
    return render(request, template, context, status=status)


def post_action(
    request: AuthenticatedHttpRequest, case: Case, action: Callable[[], Any], success: str
) -> HttpResponse:
    """A one-button action on the case page: run the service, say how it went, go back."""
    try:
        action()
        messages.success(request, success)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect("cases:detail", pk=case.pk)
