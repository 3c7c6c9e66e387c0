"""Rebuild the status timeline from the dated inputs: `rebuild_status_history --since 2022-02-24`."""

import datetime

from django.core.management.base import BaseCommand, CommandError

from evactrack.status.services import status_history_rebuild


class Command(BaseCommand):
    help = "Replace status history from --since on with one recomputed from dated orders, designations, incidents."

    def add_arguments(self, parser):
        parser.add_argument("--since", type=datetime.date.fromisoformat, required=True, help="First date (ISO).")
        parser.add_argument("--until", type=datetime.date.fromisoformat, help="Last date (default today).")
        parser.add_argument(
            "--only-where-facts",
            action="store_true",
            help="Judge only the areas some input applies to from --since on, with their ancestors (fast on a "
            "national gazetteer with few facts); the other areas keep their history.",
        )

    def handle(self, *args, since, until, only_where_facts, verbosity, **options):
        def progress(index, total, as_of):
            if verbosity >= 1 and (index == total or index % max(1, total // 20) == 0):
                self.stdout.write(f"  {index}/{total} dates judged (at {as_of})")

        report = status_history_rebuild(since=since, until=until, progress=progress, only_where_facts=only_where_facts)
        if report.skipped:
            raise CommandError("Another recompute holds the lock; try again when it is done.")
        self.stdout.write(
            f"History rebuilt from {since} to {report.as_of}: {report.changes_appended} changes appended, "
            f"{report.rows_written} current statuses updated, {report.areas_computed} areas, "
            f"in {report.duration_ms / 1000:.1f} s."
        )
