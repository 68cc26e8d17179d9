from typing import Any

from django.conf import settings
from django.core.management import BaseCommand

from reminders.services import deliver_pending, sweep_silence


class Command(BaseCommand):
    help = "Raise follow-up reminders and escalations for silent cases (what beat runs)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--deliver", action="store_true", help="also deliver the outbox now")

    def handle(self, *args: Any, deliver: bool = False, **options: Any) -> None:
        result = sweep_silence(parallel=settings.SWEEP_PARALLELISM)
        self.stdout.write(
            f"sweep: due={result.due} reminded={result.reminded} escalated={result.escalated} "
            f"notifications={result.notifications} resumed={result.resumed}"
        )
        if deliver:
            self.stdout.write(f"delivery: {deliver_pending()}")
