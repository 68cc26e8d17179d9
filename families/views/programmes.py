"""Family programmes (CRAFT courses, family classes, family association meetings): the list,
creating one with its weekly series, enrolling members, and the one-screen attendance register
a facilitator fills in under a minute for twenty families."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from accounts import access
from accounts.access import AuthenticatedHttpRequest, permission_required
from accounts.services import client_ip
from cases.services import StaleEdit
from cases.views.helpers import apply_errors, try_save
from families import selectors, services
from families.forms.programmes import (
    AttendanceRegisterForm,
    MemberSearchForm,
    ProgrammeEditForm,
    ProgrammeForm,
    SessionForm,
)
from families.models import (
    FamilyMember,
    FamilyProgramme,
    ProgrammeAttendance,
    ProgrammeSession,
)

PAGE_SIZE = 25
REGISTER_SAVED_SINCE = gettext_lazy(
    "この出欠は、あなたが画面を開いた後に他の人が保存しました。あなたの選択は残してあります。"
    "保存済みの内容を確認してから、もう一度保存してください。"
)
SEARCH_LIMIT = 20

# --- fetching through the access helper ------------------------------------------------------


def _programme_for(request: AuthenticatedHttpRequest, pk: int, action: str) -> FamilyProgramme:
    """Another centre's programme is a 404 (it does not exist for the user), then the role."""
    queryset = FamilyProgramme.objects.select_related("centre")
    programme = access.get_for_user(queryset, request.user, pk)
    access.require(request.user, action)
    return programme


def _session_for(request: AuthenticatedHttpRequest, pk: int, action: str) -> ProgrammeSession:
    queryset = ProgrammeSession.objects.select_related("programme__centre")
    session = access.get_for_user(queryset, request.user, pk, centre_field="programme__centre")
    access.require(request.user, action)
    return session


# --- views -----------------------------------------------------------------------------------


@permission_required("programme.view")
def programme_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    page = Paginator(selectors.programme_list(request.user), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    several = len(access.centre_ids(request.user)) > 1
    return render(
        request, "families/programme_list.html", {"page": page, "several_centres": several}
    )


@permission_required("programme.manage")
def programme_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    centres = access.user_centres_or_404(request.user)
    initial = {"facilitators": [request.user.pk]}
    form = ProgrammeForm(request.POST or None, centres=centres, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            programme = services.programme_create(
                centre=form.chosen_centre(centres),
                by=request.user,
                fields=form.programme_fields(),
                facilitators=form.cleaned_data["facilitators"],
                sessions=form.sessions(),
                ip=client_ip(request),
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("家族プログラムを作成しました。"))
            return redirect("families:programme_detail", pk=programme.pk)
    return render(request, "families/programme_form.html", {"form": form})


def programme_edit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    programme = _programme_for(request, pk, "programme.manage")
    form = ProgrammeEditForm(request.POST or None, instance=programme)
    status = 200
    if request.method == "POST" and form.is_valid():
        outcome = try_save(
            form,
            lambda: services.programme_update(
                programme=programme,
                by=request.user,
                fields=form.programme_fields(),
                facilitators=form.cleaned_data["facilitators"],
                expected_version=form.cleaned_data["version"],
                ip=client_ip(request),
            ),
        )
        if outcome.saved:
            messages.success(request, _("家族プログラムを更新しました。"))
            return redirect("families:programme_detail", pk=programme.pk)
        status = outcome.status
    context = {"programme": programme, "form": form}
    return render(request, "families/programme_edit.html", context, status=status)


def programme_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    programme = _programme_for(request, pk, "programme.view")
    context = {
        "programme": programme,
        "facilitators": list(programme.facilitators.order_by("display_name", "id")),
        "sessions": selectors.programme_sessions(programme),
        "members": selectors.enrolled_members(programme),
        "search_form": MemberSearchForm(),
        "session_form": SessionForm(programme=programme),
    }
    return render(request, "families/programme_detail.html", context)


@require_POST
def programme_member_search(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """POSTed, never a GET: the text is a name, and must not reach a URL, a log or history."""
    programme = _programme_for(request, pk, "programme.manage")
    form = MemberSearchForm(request.POST)
    text = form.cleaned_data["q"] if form.is_valid() else ""
    context = {
        "programme": programme,
        "found": selectors.enrollable_members(programme, text, limit=SEARCH_LIMIT),
        "searched": bool(text.strip()),
        "search_form": form,
        "search_limit": SEARCH_LIMIT,
    }
    template = "_programme_member_results" if request.htmx else "programme_member_search"  # type: ignore[attr-defined]
    return render(request, f"families/{template}.html", context)


@require_POST
def programme_enrol(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    programme = _programme_for(request, pk, "programme.manage")
    # Through the access helper: a member of another centre is a 404, not a refusal.
    member = access.get_for_user(
        FamilyMember.objects.all(), request.user, request.POST.get("member")
    )
    try:
        services.programme_enrol(
            programme=programme, member=member, by=request.user, ip=client_ip(request)
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("参加者に登録しました。"))
    return redirect("families:programme_detail", pk=programme.pk)


def session_add(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    programme = _programme_for(request, pk, "programme.manage")
    form = SessionForm(request.POST or None, programme=programme)
    if request.method == "POST" and form.is_valid():
        try:
            services.programme_session_add(
                programme=programme,
                by=request.user,
                fields=form.session_fields(),
                ip=client_ip(request),
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("回を追加しました。"))
            return redirect("families:programme_detail", pk=programme.pk)
    context = {"programme": programme, "form": form}
    return render(request, "families/programme_session_form.html", context)


def attendance_register(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    session = _session_for(request, pk, "programme.attendance")
    saved = {row.member_id: row for row in ProgrammeAttendance.objects.filter(session=session)}
    members = selectors.enrolled_members(session.programme)
    not_started = not session.register_is_open()
    form = AttendanceRegisterForm(
        request.POST or None, members=members, saved=saved, disabled=not_started
    )
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            services.attendance_save(
                session=session,
                by=request.user,
                marks=form.marks(),
                seen=form.seen(),
                ip=client_ip(request),
            )
        except StaleEdit:
            saved = {r.member_id: r for r in ProgrammeAttendance.objects.filter(session=session)}
            form.add_error(None, REGISTER_SAVED_SINCE)
            form.show_current(saved)
            status = 409
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("出欠を保存しました。"))
            return redirect("families:attendance_register", pk=session.pk)
    context = {"session": session, "programme": session.programme, "form": form, "saved": saved}
    context["not_started"] = not_started
    return render(request, "families/programme_register.html", context, status=status)
