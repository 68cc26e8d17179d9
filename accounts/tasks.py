from celery import shared_task

from accounts import services


@shared_task(name="accounts.purge_login_attempts")
def purge_login_attempts() -> int:
    return services.login_attempts_purge()
