from django.core.management.base import BaseCommand, CommandError

from reports.models import DirtyArea

KUPIANSK = "UA63080090010026457"


class Command(BaseCommand):
    help = "Exit 0 once a running system has seeded Kupiansk and its worker has computed its status."

    def handle(self, *args, **options):
        from django.apps import apps

        if not apps.is_installed("evactrack.status"):
            raise CommandError("the status engine is not installed")
        AreaStatus = apps.get_model("status", "AreaStatus")
        status = AreaStatus.objects.filter(area__code=KUPIANSK).first()
        if status is None:
            raise CommandError("Kupiansk has no computed status yet")
        waiting = DirtyArea.objects.count()
        self.stdout.write(f"Kupiansk: {status.level}; areas waiting for recompute: {waiting}")
