from django.urls import path

from cases import views
from cases.views import legal_hold, privacy

app_name = "cases"
urlpatterns = [
    path("", views.case_list, name="list"),
    path("intake/", views.case_intake, name="intake"),
    path("<int:pk>/", views.case_detail, name="detail"),
    # Least privilege (issue 15): the 要配慮個人情報 tab loads on demand; a manager's shares;
    # break-glass and its log.
    path("<int:pk>/sensitive/panel/", views.sensitive_panel, name="sensitive_panel"),
    path("<int:pk>/shares/", privacy.sensitive_shares, name="sensitive_shares"),
    path(
        "<int:pk>/shares/<int:share_id>/revoke/",
        privacy.sensitive_share_revoke,
        name="sensitive_share_revoke",
    ),
    path("break-glass/", privacy.break_glass, name="break_glass"),
    path("break-glass/log/", privacy.break_glass_log, name="break_glass_log"),
    path("<int:pk>/edit/", views.case_edit, name="edit"),
    path("<int:pk>/sensitive/", views.sensitive_edit, name="sensitive_edit"),
    path("<int:pk>/status/", views.case_status, name="status"),
    path("<int:pk>/contacts/", views.case_contacts, name="contacts"),
    path("<int:pk>/contacts/add/", views.contact_add, name="contact_add"),
    path("<int:pk>/assessments/add/", views.assessment_add, name="assessment_add"),
    path("<int:pk>/plans/new/", views.plan_edit, name="plan_new"),
    path("<int:pk>/plans/<int:plan_id>/", views.plan_edit, name="plan_edit"),
    path("<int:pk>/plans/<int:plan_id>/milestones/add/", views.milestone_add, name="milestone_add"),
    path(
        "<int:pk>/plan/milestones/<int:milestone_id>/achieve/",
        views.milestone_achieve,
        name="milestone_achieve",
    ),
    path("<int:pk>/consents/add/", views.consent_add, name="consent_add"),
    path(
        "<int:pk>/consents/<int:consent_id>/withdraw/",
        views.consent_withdraw,
        name="consent_withdraw",
    ),
    path("<int:pk>/referrals/add/", views.referral_add, name="referral_add"),
    path("<int:pk>/referrals/<int:referral_id>/send/", views.referral_send, name="referral_send"),
    path(
        "<int:pk>/referrals/<int:referral_id>/outcome/",
        views.referral_outcome,
        name="referral_outcome",
    ),
    path("<int:pk>/audit/", views.case_audit, name="audit"),
    # Retention: a manager's legal hold keeps a closed case from disposal.
    path("<int:pk>/legal-hold/", legal_hold.case_legal_hold, name="legal_hold"),
]
