"""A write reaches the area's status through the real worker, within a bounded time."""

import datetime

import pytest

from tests.e2e.client import describe
from tests.e2e.data import order_body, settlement
from tests.e2e.harness import wait_for

pytestmark = pytest.mark.e2e

RECENT = (datetime.date.today() - datetime.timedelta(days=2)).isoformat()
# The worker judges a dirty area on commit; beat's sweep catches anything missed.
DEADLINE = 60


def level_of(client, code: str) -> str:
    return client.json("GET", f"/api/v1/areas/{code}/status/")["level"]


def test_mandatory_order_makes_the_settlement_evacuation_mandatory(coordinator, partner):
    area = settlement(partner, "worker", 0)
    assert level_of(partner, area) == "normal"
    response = coordinator.post("/api/v1/orders/", order_body(area, effective_from=RECENT))
    assert response.status_code == 201, describe(response)
    order = response.json()
    wait_for(lambda: level_of(partner, area) == "evacuation_mandatory",
             what=f"{area} to become evacuation_mandatory", timeout=DEADLINE, interval=0.5)  # fmt: skip
    status = partner.json("GET", f"/api/v1/areas/{area}/status/")
    assert {(r.get("kind"), r.get("uid")) for r in status["reasons"]} >= {("order", order["uid"])}, status
    # Lifting it brings the area back to normal, again through the worker.
    lifted = coordinator.post(f"/api/v1/orders/{order['uid']}/lift/", {})
    assert lifted.status_code == 200, describe(lifted)
    wait_for(lambda: level_of(partner, area) == "normal", what=f"{area} back to normal after the lift",
             timeout=DEADLINE, interval=0.5)  # fmt: skip


def test_the_order_raises_the_hromada_above_it(coordinator, partner):
    area = settlement(partner, "worker", 1)
    hromada = partner.json("GET", f"/api/v1/areas/{area}/")["parent"]
    response = coordinator.post("/api/v1/orders/", order_body(area, effective_from=RECENT))
    assert response.status_code == 201, describe(response)
    wait_for(lambda: level_of(partner, hromada) != "normal", what=f"hromada {hromada} to leave normal",
             timeout=DEADLINE, interval=0.5)  # fmt: skip
