"""Importing a centre's spreadsheets, included at /records/import/. Ids only in the URLs."""

from django.urls import path

from records.views import imports as views

urlpatterns = [
    path("", views.import_home, name="import_home"),
    path("sample/<slug:shape>.csv", views.import_sample, name="import_sample"),
    path("<int:pk>/", views.import_job, name="import_job"),
    path("<int:pk>/columns/", views.import_columns, name="import_columns"),
    path("<int:pk>/progress/", views.import_progress, name="import_progress"),
    path("<int:pk>/confirm/", views.import_confirm, name="import_confirm"),
    path("<int:pk>/recheck/", views.import_recheck, name="import_recheck"),
    path("<int:pk>/cancel/", views.import_cancel, name="import_cancel"),
    path("<int:pk>/rows.csv", views.import_issues_csv, name="import_issues_csv"),
    path("mappings/<int:pk>/delete/", views.mapping_delete, name="import_mapping_delete"),
]
