import time
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from seeds.loader import SEED_FILE, SeedError, seed_load


class Command(BaseCommand):
    help = (
        "Load the areas, sources and facts curated from the four Kupiansk articles (idempotent), then build "
        "the dated status history of the areas they apply to."
    )

    def add_arguments(self, parser):
        parser.add_argument("--file", default=str(SEED_FILE), help="Seed YAML file (default: the article seeds).")
        parser.add_argument("--no-history", action="store_true", help="Load the facts only; no status history.")

    def handle(self, *args, file, no_history, verbosity, **options):
        started = time.monotonic()
        self.stdout.write(f"Loading seeds from {file} ...")
        try:
            summary = seed_load(path=Path(file))
        except SeedError as error:
            raise CommandError(f"Seed row refused, nothing loaded: {error}") from error
        for outcome in ("created", "updated", "unchanged"):
            counts = getattr(summary, outcome)
            if counts:
                detail = ", ".join(f"{n} {kind}" for kind, n in sorted(counts.items()))
                self.stdout.write(f"  {outcome}: {detail}")
        self.stdout.write(self.style.SUCCESS(f"Seeds: {summary.line()} in {time.monotonic() - started:.1f} s."))
        if no_history or not (summary.created or summary.updated):
            return  # nothing changed: the history already says what these facts say
        # The facts are dated in the past: without this the timeline would begin today with
        # "normal → evacuation_mandatory". By command name: the seeds do not import the engine.
        call_command(
            "rebuild_status_history",
            "--since",
            settings.EVACTRACK_EARLIEST_FACT_DATE.isoformat(),
            "--only-where-facts",
            verbosity=verbosity,
            stdout=self.stdout,
        )
        # The rebuild judged only the areas the facts apply to; their ancestors' roll-ups also
        # sum areas never judged yet (a new gazetteer's). A full run now settles every area, so
        # the figures are right before the first hourly run.
        call_command("recompute_status", verbosity=verbosity, stdout=self.stdout)
