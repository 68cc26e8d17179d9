from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from accounts.access import AuthenticatedHttpRequest, permission_required
from reminders import selectors, services
from reminders.health import health_report_cached
from reminders.notification_texts import message_path
from reminders.notification_texts import render as render_notification

PAGE_SIZE = 30


def _may_see_health_details(request: HttpRequest) -> bool:
    """From this host itself (not through the proxy, which adds X-Forwarded-For) or with
    the monitoring token: the checks' details name our services and their errors."""
    token = settings.HEALTHZ_TOKEN
    offered = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    if token and offered and constant_time_compare(offered, token):
        return True
    local = request.META.get("REMOTE_ADDR") in ("127.0.0.1", "::1")
    return local and "HTTP_X_FORWARDED_FOR" not in request.META


@login_not_required
@never_cache
def healthz(request: HttpRequest) -> HttpResponse:
    """200 "ok" or 503 "fail" for anyone (a load balancer); the details for ourselves."""
    checks = health_report_cached()
    healthy = all(check["ok"] for check in checks.values())
    status = 200 if healthy else 503
    if not _may_see_health_details(request):
        return HttpResponse("ok" if healthy else "fail", status=status, content_type="text/plain")
    return JsonResponse({"status": "ok" if healthy else "failing", "checks": checks}, status=status)


def inbox(request: AuthenticatedHttpRequest) -> HttpResponse:
    show_done = request.GET.get("done") == "1"
    page = Paginator(selectors.inbox(request.user, show_done=show_done), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    language = request.LANGUAGE_CODE  # type: ignore[attr-defined]
    items = [
        (n, render_notification(n.kind, n.context, language), message_path(n.context)) for n in page
    ]
    # Reading changes nothing: the page then POSTs which messages it showed (inbox_seen).
    return render(
        request,
        "reminders/inbox.html",
        {"page": page, "items": items, "show_done": show_done, "query": f"done={int(show_done)}"},
    )


@require_POST
def inbox_seen(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The inbox page, once shown, says which messages it showed (htmx, on load): those are
    read now, and the reminders shown as "contact since" are filed as done. Only the user's
    own, and only what was shown (not other pages, nor what arrived meanwhile)."""
    shown = [int(pk) for pk in request.POST.getlist("shown") if pk.isdigit()][:PAGE_SIZE]
    services.inbox_mark_read(user=request.user, notification_ids=shown)
    services.inbox_file_ended_silences(user=request.user, notification_ids=shown)
    return HttpResponse(status=204)


@require_POST
def mark_done(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    # Scoped to the recipient: nobody can touch another user's inbox.
    notification = get_object_or_404(request.user.notifications.all(), pk=pk)
    services.notification_mark_done(notification=notification)
    messages.success(request, _("対応済みにしました。"))
    return redirect("reminders:inbox")


@permission_required("escalations.view")
def escalations(request: AuthenticatedHttpRequest) -> HttpResponse:
    page = Paginator(selectors.escalated_cases(request.user), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    failed = selectors.failed_notifications(request.user)[:50]
    return render(request, "reminders/escalations.html", {"page": page, "failed": failed})
