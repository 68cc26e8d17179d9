"""Who sees a case's 要配慮個人情報 beyond the role's rule (cases.access): a manager's shares
with counsellors, and break-glass with its log for the centre's managers."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.access import AuthenticatedHttpRequest, permission_required
from accounts.services import client_ip
from cases import forms as case_forms
from cases import selectors, services
from cases.views.helpers import case_for, try_save


def sensitive_shares(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The case's shares (a manager's page: GET lists them, POST adds one)."""
    case = case_for(request, pk, "case.share_sensitive")
    form = case_forms.SensitiveShareForm(request.POST or None, case=case)
    status = 200
    if request.method == "POST" and form.is_valid():
        outcome = try_save(
            form,
            lambda: services.sensitive_share(
                case=case, by=request.user, user=form.cleaned_data["user"], ip=client_ip(request)
            ),
        )
        if outcome.saved:
            messages.success(request, _("要配慮個人情報を共有しました。"))
            return redirect("cases:sensitive_shares", pk=case.pk)
        status = outcome.status
    context = {"case": case, "form": form, "shares": selectors.live_shares(case)}
    return render(request, "cases/sensitive_shares.html", context, status=status)


@require_POST
def sensitive_share_revoke(
    request: AuthenticatedHttpRequest, pk: int, share_id: int
) -> HttpResponse:
    case = case_for(request, pk, "case.share_sensitive")
    share = get_object_or_404(case.sensitive_shares, pk=share_id)
    services.sensitive_share_revoke(share=share, by=request.user, ip=client_ip(request))
    messages.success(request, _("共有を取り消しました。"))
    return redirect("cases:sensitive_shares", pk=case.pk)


@permission_required("case.break_glass")
def break_glass(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Open a case outside one's normal reach: which case and why. The case is named by its
    centre and number (no id in a URL to walk); the window then opens on the case page."""
    form = case_forms.BreakGlassForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        outcome = try_save(
            form,
            lambda: services.break_glass_open(
                case=form.cleaned_data["case"],
                by=request.user,
                reason=form.cleaned_data["reason"],
                ip=client_ip(request),
            ),
        )
        if outcome.saved:
            messages.warning(
                request,
                _(
                    "緊急閲覧を開始しました（%(until)s まで）。この閲覧は記録され、管理者に表示されます。"
                )
                % {"until": f"{timezone.localtime(outcome.result.expires_at):%H:%M}"},
            )
            return redirect("cases:detail", pk=outcome.result.case_id)
        status = outcome.status
    return render(request, "cases/break_glass.html", {"form": form}, status=status)


@permission_required("security.view")
def break_glass_log(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The break-glass openings of the cases of the user's centres: who, which case, why."""
    page = Paginator(selectors.break_glass_log(request.user), 50).get_page(request.GET.get("page"))
    return render(request, "cases/break_glass_log.html", {"page": page})
