import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from seeds.loader import SEED_FILE, SeedError, seed_load


class Command(BaseCommand):
    help = "Load the areas, sources and facts curated from the four Kupiansk articles (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--file", default=str(SEED_FILE), help="Seed YAML file (default: the article seeds).")

    def handle(self, *args, file, **options):
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
