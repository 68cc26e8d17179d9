"""Locust users for the load test (issue 13). Not run on its own: `bench/load.py` starts
gunicorn with the production settings, prepares one signed-in Django session per simulated
user in the benchmark database and runs locust headless on this file, e.g.

    uv run python bench/load.py --db tsunagu_bench_load --users 50 --minutes 5

It reads what load.py prepared from the environment, never from Django (locust runs under
gevent, in its own process):

- `TSUNAGU_LOAD_SESSIONS`: a JSON file with the session cookie's name, the page paths
  (`pages`: "case list", "my day", "dashboard") and one entry per simulated user: role,
  session key, client address, and paths of case pages of the user's own centre (their own
  cases for a counsellor);
- `TSUNAGU_LOAD_WAIT`: the think time between two pages, "MIN,MAX" seconds (default "5,15");
- `TSUNAGU_LOAD_TARGET`: the page the capacity user requests ("case list" or "case page").

`StaffUser` works like a member of staff: counsellors go round the case list, their cases and
"my day"; managers also the centre dashboard, each page of the round once (shuffled) before
the next round. `CapacityUser` requests one page with no think time (counsellors' sessions).
Every request carries the headers of the TLS-terminating proxy (`X-Forwarded-Proto: https`,
`X-Forwarded-For: <the user's address>`), follows no redirect, and counts anything but a 200
as a failure (a redirect to the login page or the second factor says which).
"""

from __future__ import annotations

import itertools
import json
import os
import random
from functools import cache
from typing import Any

from locust import FastHttpUser, between, constant, task

CASE_PAGE = "case page"
ROUNDS = {
    # page -> visits per round
    "counsellor": {"case list": 2, CASE_PAGE: 3, "my day": 1},
    "manager": {"case list": 2, CASE_PAGE: 2, "my day": 1, "dashboard": 2},
}


@cache
def prepared() -> dict[str, Any]:
    """What load.py prepared (read once per locust process, when the first user starts)."""
    path = os.environ.get("TSUNAGU_LOAD_SESSIONS")
    if not path:
        raise RuntimeError("TSUNAGU_LOAD_SESSIONS is not set: run bench/load.py, not locust")
    with open(path, encoding="utf-8") as file:
        data: dict[str, Any] = json.load(file)
    return data


def think_time() -> tuple[float, float]:
    low, high = os.environ.get("TSUNAGU_LOAD_WAIT", "5,15").split(",")
    return float(low), float(high)


# Simulated users take the prepared sessions in turn, each its own (while there are enough).
_staff_turn = itertools.count()
_capacity_turn = itertools.count()


class TsunaguUser(FastHttpUser):
    abstract = True
    person: dict[str, Any]
    headers: dict[str, str]

    def sign_in_as(self, person: dict[str, Any]) -> None:
        self.person = person
        self.headers = {
            "Cookie": f"{prepared()['cookie']}={person['session']}",
            "X-Forwarded-Proto": "https",
            "X-Forwarded-For": person["ip"],
            "Accept-Language": "ja,en;q=0.8",
            "User-Agent": "tsunagu-load-test",
        }

    def path_of(self, page: str) -> str:
        if page == CASE_PAGE:
            return str(random.choice(self.person["cases"]))
        return str(prepared()["pages"][page])

    def visit(self, page: str) -> None:
        login = str(prepared()["login"])
        with self.client.get(
            self.path_of(page),
            name=page,
            headers=self.headers,
            allow_redirects=False,
            catch_response=True,
        ) as response:
            status = response.status_code
            if status == 200:
                response.success()
            elif 300 <= status < 400:
                location = response.headers.get("Location", "") if response.headers else ""
                why = (
                    " (not signed in)"
                    if location.startswith(login)
                    else " (second factor)"
                    if "/two-factor/" in location
                    else ""
                )
                response.failure(f"{status} redirect to {location.split('?')[0]}{why}")
            elif status == 0:
                response.failure(f"no response: {response.error!r}")
            else:
                response.failure(f"status {status}")


class StaffUser(TsunaguUser):
    """Scenario (a): a page every 5–15 s (TSUNAGU_LOAD_WAIT)."""

    wait_time = between(*think_time())

    def on_start(self) -> None:
        people = prepared()["users"]
        self.sign_in_as(people[next(_staff_turn) % len(people)])
        self.round: list[str] = []

    @task
    def next_page(self) -> None:
        if not self.round:
            weights = ROUNDS[self.person["role"]]
            self.round = [page for page, times in weights.items() for _ in range(times)]
            random.shuffle(self.round)
        self.visit(self.round.pop())


class CapacityUser(TsunaguUser):
    """Scenario (b): one page (TSUNAGU_LOAD_TARGET) as fast as the server answers."""

    wait_time = constant(0)

    def on_start(self) -> None:
        people = [p for p in prepared()["users"] if p["role"] == "counsellor"]
        self.sign_in_as(people[next(_capacity_turn) % len(people)])
        self.target = os.environ.get("TSUNAGU_LOAD_TARGET", "case list")

    @task
    def same_page(self) -> None:
        self.visit(self.target)
