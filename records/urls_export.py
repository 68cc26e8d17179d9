from django.urls import URLPattern

# Filled in by the feature that owns this part of the app.
urlpatterns: list[URLPattern] = []
