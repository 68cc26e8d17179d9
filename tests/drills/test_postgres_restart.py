"""PostgreSQL restarted while the app serves requests: the next requests succeed.

A throwaway PostgreSQL 15 cluster (initdb in a temporary directory, on a free port; as the
`postgres` OS user when the tests run as root, since initdb refuses root) holds a copy of the
test database; the app runs under gunicorn as our child process, with persistent connections
(CONN_MAX_AGE) and CONN_HEALTH_CHECKS as in production. A counsellor signs in and works; the
cluster restarts (`pg_ctl restart -m fast`, every connection dropped); the very next requests,
reads and saves, must succeed: the health check finds the dead connection and opens a new one
before the request uses it. The cluster and the server are removed in teardown, whatever
happens.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
import requests
from django.db import connection
from django.utils import timezone

from accounts.models import Role
from tests.factories import PASSWORD, CentreFactory, UserFactory, make_case
from tests.services_for_drills import LiveServer, PostgresCluster

COPY = "tsunagu_drill"
APP = "drill-app"  # the app's connections, told apart from ours in pg_stat_activity


@pytest.fixture
def cluster() -> Iterator[PostgresCluster]:
    server = PostgresCluster()
    try:
        yield server.start()
    finally:
        server.destroy()


def app_backends(cluster: PostgresCluster) -> set[int]:
    with cluster.connect(COPY) as monitor, monitor.cursor() as cursor:
        cursor.execute("SELECT pid FROM pg_stat_activity WHERE application_name = %s", [APP])
        return {row[0] for row in cursor.fetchall()}


def sign_in(base: str, username: str) -> requests.Session:
    browser = requests.Session()
    page = browser.get(f"{base}/accounts/login/", timeout=30)
    assert page.status_code == 200, page.text[:500]
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    assert token is not None
    signed_in = browser.post(
        f"{base}/accounts/login/",
        data={"username": username, "password": PASSWORD, "csrfmiddlewaretoken": token[1]},
        allow_redirects=False,
        timeout=30,
    )
    assert signed_in.status_code == 302, signed_in.text[:500]
    return browser


def work(browser: requests.Session, base: str, case_pk: int) -> list[int]:
    """A counsellor's minute: the case list, the case, a contact saved."""
    statuses = [
        browser.get(f"{base}/cases/", timeout=30).status_code,
        browser.get(f"{base}/cases/{case_pk}/", timeout=30).status_code,
    ]
    saved = browser.post(
        f"{base}/cases/{case_pk}/contacts/add/",
        data={
            "occurred_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
            "duration_minutes": "15",
            "channel": "phone",
            "counterpart": "family",
            "two_way": "on",
            "note": "再起動の前後",
            "csrfmiddlewaretoken": browser.cookies["csrftoken"],
        },
        headers={"HX-Request": "true"},
        timeout=30,
    )
    return [*statuses, saved.status_code]


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_the_requests_after_a_postgresql_restart_succeed(cluster: PostgresCluster) -> None:
    centre = CentreFactory(name="再起動試験センター", case_number_prefix="Q")
    counsellor = UserFactory(username="tomo", role=Role.COUNSELLOR, centre=centre)
    case = make_case(centre, counsellor, primary_counsellor=counsellor)
    cluster.copy_database(connection.settings_dict, COPY)

    server = LiveServer(
        env={
            "DJANGO_SETTINGS_MODULE": "tests.drills.live_settings",
            "DATABASE_URL": cluster.url(COPY, application_name=APP),
        }
    )
    try:
        server.start()
        browser = sign_in(server.base, "tomo")
        before = [work(browser, server.base, case.pk) for _ in range(2)]
        held = app_backends(cluster)
        assert len(held) == 1, "gunicorn's one thread keeps one persistent connection"
        assert work(browser, server.base, case.pk) == [200, 200, 200]
        assert app_backends(cluster) == held  # the same connection, request after request

        cluster.restart()
        assert app_backends(cluster) == set()  # the server's connection is dead
        after = [work(browser, server.base, case.pk) for _ in range(3)]
        reconnected = app_backends(cluster)
    finally:
        server.stop()

    print(f"\nbefore the restart {before}, after {after}; backends {held} -> {reconnected}")
    assert before == [[200, 200, 200]] * 2
    # Not one failed request: the health check replaced the dead connection first.
    assert after == [[200, 200, 200]] * 3
    assert len(reconnected) == 1 and reconnected.isdisjoint(held)
    with cluster.connect(COPY) as copy, copy.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM cases_contactentry WHERE case_id = %s", [case.pk])
        row = cursor.fetchone()
    assert row is not None and row[0] == 6  # every save before and after the restart is kept
