from django.urls import include, path

app_name = "families"
urlpatterns = [
    # The household of a case (the panel on the case page and its forms).
    path("", include("families.urls_household")),
    # Family programmes: CRAFT courses, family classes and their attendance registers.
    path("programmes/", include("families.urls_programmes")),
]
