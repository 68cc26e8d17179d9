"""The printable case record: a page to choose its sections and the period of its contact log,
and the print page itself (A4, print CSS, no navigation), each print on the audit trail with
the sections chosen. Another centre's case is a 404 before anything else is decided."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone

from accounts import access
from accounts.access import AuthenticatedHttpRequest
from accounts.models import AuditAction
from accounts.services import client_ip
from cases.services import case_audit_record
from cases.views.helpers import case_for
from records import case_record as selectors
from records.forms.case_record import CaseRecordForm


def case_record_choose(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The sections the user's role may print (the sensitive ones unticked) and the period,
    the last twelve months at first; coming back from the print page, what was chosen."""
    case = case_for(request, pk, "case.view")  # a VIEW on the case's audit trail
    sections = selectors.sections_for(request.user, case)  # the 要配慮 ones: cases.access
    if request.GET:
        form = CaseRecordForm(request.GET, sections=sections)
    else:
        form = CaseRecordForm(None, sections=sections)
        form.initial = CaseRecordForm.initial_data(sections, timezone.localdate())
    return render(request, "records/case_record_choose.html", {"case": case, "form": form})


def case_record_print(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    user = request.user
    sections = selectors.sections_for(user)
    data = request.GET or CaseRecordForm.initial_data(sections, timezone.localdate())
    form = CaseRecordForm(data, sections=sections)  # a section the role may not print: refused
    chosen = form.cleaned_data["sections"] if form.is_valid() else []
    case = selectors.printable_case(user, pk, with_sensitive=selectors.SENSITIVE in chosen)
    access.require(user, "case.view")
    if not form.is_valid():
        context = {"case": case, "form": form}
        return render(request, "records/case_record_choose.html", context, status=400)
    record = selectors.case_record(
        case,
        user=user,
        sections=chosen,
        since=form.cleaned_data["since"],
        until=form.cleaned_data["until"],
    )
    # The sections printed, by name: never what they held.
    case_audit_record(
        by=user,
        action=AuditAction.PRINT,
        obj=case,
        case=case,
        ip=client_ip(request),
        changed_fields=record.sections,
    )
    context = {"record": record, "case": case, "query": request.GET.urlencode()}
    return render(request, "records/case_record_print.html", context)
