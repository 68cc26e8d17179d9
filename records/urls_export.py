from django.urls import path

from records.views import exports

urlpatterns = [
    # Choose the centre, the shape and the format; the file comes back as the answer.
    path("", exports.export_page, name="export"),
]
