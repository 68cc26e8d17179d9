from django.http import HttpRequest

from accounts import access, idle


def navigation(request: HttpRequest) -> dict[str, object]:
    user = request.user
    if not user.is_authenticated:
        return {}
    return {
        "user_centre_names": access.centre_names(user),
        "can": {
            action.replace(".", "_"): access.can(user, action) for action in access.PERMISSIONS
        },
        # static/js/idle-timeout.js's settings, as <body> data attributes.
        "idle": idle.page_settings(request),
    }
