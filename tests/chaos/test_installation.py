"""The installation every fault starts from: `migrate`, `import_gazetteer`, `seed`, nothing else."""

import pytest

pytestmark = pytest.mark.chaos


def test_the_seeded_installation_is_settled_before_any_worker_runs(verdict_after_setup):
    """`seed` leaves no stored status a fresh recompute would change: coordinators read final
    figures before the first hourly run, and every fault below is judged against a settled start."""
    assert verdict_after_setup["differing"] == 0, verdict_after_setup
