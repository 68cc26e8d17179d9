from django.urls import path

from families.views import household

urlpatterns = [
    path("cases/<int:pk>/members/add/", household.member_add, name="member_add"),
    path("cases/<int:pk>/members/search/", household.member_search, name="member_search"),
    path("cases/<int:pk>/members/link/", household.member_link, name="member_link"),
    path("cases/<int:pk>/members/<int:member_id>/", household.member_detail, name="member_detail"),
    path("cases/<int:pk>/members/<int:member_id>/edit/", household.member_edit, name="member_edit"),
    path(
        "cases/<int:pk>/members/<int:member_id>/unlink/",
        household.member_unlink,
        name="member_unlink",
    ),
    path("cases/<int:pk>/contacts/add/", household.member_contact_add, name="member_contact_add"),
    path("cases/<int:pk>/contingency/", household.contingency_edit, name="contingency_edit"),
    path("8050/", household.cases_8050, name="cases_8050"),
]
