"""Error reports (the e-mail to ADMINS, any handler that renders Django's report) carry no
case data: whatever a user POSTs to this application may be a note, a diagnosis or a name,
so every POSTed value is hidden, on every form, without each view having to say so with
`sensitive_post_parameters`; the same goes for the values of a frame's local variables
(a `form`, `fields` or `note` in a service) and for the cookies (the session's key).
DEBUG (development only) shows everything, as Django does."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.views.debug import SafeExceptionReporterFilter


class CaseDataReporterFilter(SafeExceptionReporterFilter):
    def _hidden(self, multivaluedict: Any) -> Any:
        """The parameters' names, none of their values."""
        cleansed = multivaluedict.copy()
        for name in multivaluedict:
            cleansed[name] = self.cleansed_substitute
        return cleansed

    def get_post_parameters(self, request: HttpRequest | None) -> Any:
        if request is None:
            return {}
        if not self.is_active(request):
            return request.POST
        return self._hidden(request.POST)

    def get_cleansed_multivaluedict(self, request: HttpRequest | None, multivaluedict: Any) -> Any:
        if not self.is_active(request):
            return multivaluedict
        return self._hidden(multivaluedict)

    def get_traceback_frame_variables(self, request: HttpRequest | None, tb_frame: Any) -> Any:
        if not self.is_active(request):
            return super().get_traceback_frame_variables(request, tb_frame)
        return [(name, self.cleansed_substitute) for name in tb_frame.f_locals]

    def get_safe_cookies(self, request: HttpRequest | None) -> dict[str, str]:
        if not hasattr(request, "COOKIES"):
            return {}
        if not self.is_active(request):
            return super().get_safe_cookies(request)  # type: ignore[arg-type]
        return {name: self.cleansed_substitute for name in request.COOKIES}  # type: ignore[union-attr]
