from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from accounts.access import AuthenticatedHttpRequest, permission_required
from reminders import selectors, services
from reminders.health import health_report
from reminders.notification_texts import message_path
from reminders.notification_texts import render as render_notification

PAGE_SIZE = 30


@login_not_required
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    checks = health_report()
    healthy = all(check["ok"] for check in checks.values())
    return JsonResponse(
        {"status": "ok" if healthy else "failing", "checks": checks},
        status=200 if healthy else 503,
    )


def inbox(request: AuthenticatedHttpRequest) -> HttpResponse:
    show_done = request.GET.get("done") == "1"
    page = Paginator(selectors.inbox(request.user, show_done=show_done), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    language = request.LANGUAGE_CODE  # type: ignore[attr-defined]
    items = [
        (n, render_notification(n.kind, n.context, language), message_path(n.context)) for n in page
    ]
    response = render(
        request,
        "reminders/inbox.html",
        {"page": page, "items": items, "show_done": show_done, "query": f"done={int(show_done)}"},
    )
    services.inbox_mark_read(user=request.user, notification_ids=[n.pk for n in page])
    services.inbox_file_ended_silences(
        user=request.user,
        notification_ids=[n.pk for n in page if n.silence_over],  # type: ignore[attr-defined]
    )
    return response


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
