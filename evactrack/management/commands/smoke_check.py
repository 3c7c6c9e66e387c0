"""Exit 0 once a running system shows the seeded story: Kupiansk under a mandatory evacuation.

The seeds end with the August 2023 mandatory order, still in force, so a worker that has
computed Kupiansk's status from them says `evacuation_mandatory`; any other level means the
seeds, the rules or the worker are wrong, not merely late.
"""

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError

from reports.models import DirtyArea

KUPIANSK = "UA63080090010026457"
EXPECTED_LEVEL = "evacuation_mandatory"


class Command(BaseCommand):
    help = "Exit 0 once the worker has computed Kupiansk's status as evacuation_mandatory (CI's smoke run)."

    def handle(self, *args, **options):
        AreaStatus = apps.get_model("status", "AreaStatus")
        status = AreaStatus.objects.filter(area__code=KUPIANSK).first()
        if status is None:
            raise CommandError("Kupiansk has no computed status yet")
        waiting = DirtyArea.objects.count()
        if status.level != EXPECTED_LEVEL:
            raise CommandError(
                f"Kupiansk is {status.level}, expected {EXPECTED_LEVEL} (areas waiting for recompute: {waiting})"
            )
        self.stdout.write(f"Kupiansk: {status.level}; areas waiting for recompute: {waiting}")
