"""CI's smoke check accepts only the seeded story: Kupiansk under a mandatory evacuation."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from evactrack.status.models import AreaStatus
from evactrack.status.services import status_recompute_dirty
from seeds.loader import seed_load

pytestmark = pytest.mark.django_db

KUPIANSK = "UA63080090010026457"


def test_it_waits_for_the_worker_then_sees_a_mandatory_evacuation(capsys):
    seed_load()
    with pytest.raises(CommandError, match="no computed status yet"):
        call_command("smoke_check")
    status_recompute_dirty()
    call_command("smoke_check")
    assert "Kupiansk: evacuation_mandatory" in capsys.readouterr().out


def test_any_other_level_fails_the_check():
    seed_load()
    status_recompute_dirty()
    AreaStatus.objects.filter(area__code=KUPIANSK).update(level="advisory")
    with pytest.raises(CommandError, match="Kupiansk is advisory, expected evacuation_mandatory"):
        call_command("smoke_check")
