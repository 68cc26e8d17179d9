from celery import shared_task

from accounts import services


@shared_task(name="accounts.purge_access_logs")
def purge_access_logs() -> int:
    return services.access_logs_purge()


@shared_task(name="accounts.purge_expired_sessions")
def purge_expired_sessions() -> int:
    return services.expired_sessions_purge()
