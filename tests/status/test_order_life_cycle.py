"""Orders with a life cycle: "to confirm" after the policy's review days (level kept), replaced
orders, and the admin's queue of orders to confirm."""

import dataclasses
import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from evactrack.status.choices import StatusLevel
from evactrack.status.engine import AreaInputs, evaluate, reasons_sentence
from evactrack.status.models import AreaStatus, Policy
from evactrack.status.selectors import orders_to_confirm
from evactrack.status.services import policy_save, status_recompute_dirty, status_recompute_full
from reports.models import DirtyArea, EvacuationOrder
from reports.services import order_confirm, order_update
from tests.factories import AreaFactory, OrderFactory, default_hromada
from tests.status.test_engine import RULES, order

D = datetime.date
MANDATORY = StatusLevel.EVACUATION_MANDATORY


def _judge(*orders, as_of, rules=RULES):
    result = evaluate(AreaInputs(code="UA6308", orders=list(orders)), rules, as_of)
    return result, reasons_sentence(result.level, result.reasons)


def _order_reason(result):
    return next(reason for reason in result.reasons if reason["kind"] == "order")


# --- the rule, in the pure engine ------------------------------------------------------------


def test_an_open_ended_order_unconfirmed_for_the_review_days_is_to_confirm_and_keeps_its_level():
    open_ended = order(effective_from=D(2023, 8, 10))  # review days: 90 (the policy's default)
    before, _sentence = _judge(open_ended, as_of=D(2023, 11, 8))
    assert "to_confirm" not in _order_reason(before)
    assert before.recheck_on == D(2023, 11, 9)  # the day it becomes "to confirm" is judged again

    due, sentence = _judge(open_ended, as_of=D(2023, 11, 9))
    assert due.level == MANDATORY  # never dropped automatically
    assert _order_reason(due)["to_confirm"] is True
    assert _order_reason(due)["unconfirmed_since"] == "2023-08-10"
    assert sentence.endswith("active since 2023-08-10, not confirmed since 2023-08-10 (to confirm)")


def test_a_confirmation_restarts_the_clock_from_the_day_it_was_known():
    confirmed = order(effective_from=D(2023, 8, 10), confirmed_on=D(2023, 11, 1))
    assert "to_confirm" not in _order_reason(_judge(confirmed, as_of=D(2023, 11, 9))[0])
    assert _judge(confirmed, as_of=D(2023, 11, 9))[0].recheck_on == D(2024, 1, 31)
    assert _order_reason(_judge(confirmed, as_of=D(2024, 1, 31))[0])["unconfirmed_since"] == "2023-11-01"
    # On a day before the confirmation, nobody knew of it yet: the order was to confirm then, and
    # the confirmation's day is when that changes.
    early, _sentence = _judge(confirmed, as_of=D(2023, 10, 20), rules=dataclasses.replace(RULES, order_review_days=30))
    assert _order_reason(early)["to_confirm"] is True
    assert early.recheck_on == D(2023, 11, 1)


def test_the_orders_own_review_date_comes_first_and_an_end_date_needs_no_confirming():
    reviewed = order(effective_from=D(2023, 8, 10), review_on=D(2023, 9, 1))
    assert "to_confirm" not in _order_reason(_judge(reviewed, as_of=D(2023, 9, 1))[0])
    assert _order_reason(_judge(reviewed, as_of=D(2023, 9, 2))[0])["to_confirm"] is True
    # Confirmed on its review day: the clock restarts from that day, the review date is spent.
    answered = dataclasses.replace(reviewed, confirmed_on=D(2023, 9, 1))
    assert "to_confirm" not in _order_reason(_judge(answered, as_of=D(2023, 11, 1))[0])
    # An order with an end date runs out by itself.
    ending = order(effective_from=D(2023, 8, 10), effective_until=D(2024, 8, 10))
    assert "to_confirm" not in _order_reason(_judge(ending, as_of=D(2024, 3, 1))[0])


def test_a_replaced_order_stops_counting_from_the_replacements_start():
    old = order(uid="old", kind="recommended", effective_from=D(2023, 8, 1), superseded_from=D(2023, 9, 1))
    new = order(uid="new", kind="mandatory", effective_from=D(2023, 9, 1))
    on_the_eve, _sentence = _judge(old, new, as_of=D(2023, 8, 31))
    assert on_the_eve.level == StatusLevel.EVACUATION_RECOMMENDED
    assert on_the_eve.recheck_on == D(2023, 9, 1)
    replaced, sentence = _judge(old, new, as_of=D(2023, 9, 1))
    assert [(r["kind"], r["uid"]) for r in replaced.reasons] == [("order", "new"), ("order_ended", "old")]
    assert "recommended evacuation order of the Kupiansk district military administration superseded on 2023-09-01" in (
        sentence
    )
    # A narrower replacement: the old, wider order does not count on beside it.
    alone, _sentence = _judge(old, as_of=D(2023, 9, 2))
    assert alone.level == StatusLevel.NORMAL


# --- through the services, the recompute, the selector and the admin ----------------------------

pytestmark_db = pytest.mark.django_db
LONG_AGO = timezone.localdate() - datetime.timedelta(days=200)


@pytestmark_db
def test_the_status_says_to_confirm_until_a_coordinator_confirms():
    settlement = AreaFactory()
    made = OrderFactory(area=settlement, effective_from=LONG_AGO)
    status_recompute_full()
    status = AreaStatus.objects.get(area=settlement)
    assert status.level == MANDATORY
    assert status.reasons[0]["to_confirm"] is True
    assert f"not confirmed since {LONG_AGO}" in status.sentence
    assert list(orders_to_confirm()) == [made]

    order_confirm(order=made)
    status_recompute_dirty()
    status = AreaStatus.objects.get(area=settlement)
    assert status.level == MANDATORY and "to_confirm" not in status.reasons[0]
    assert list(orders_to_confirm()) == []
    # The policy's review days decide: a shorter one than 200 days puts it back... after that long.
    policy = Policy.objects.get(is_active=True)
    policy.order_review_days = 1
    policy_save(policy=policy)
    assert list(orders_to_confirm()) == []  # confirmed today: not even one day has passed
    assert list(orders_to_confirm(as_of=timezone.localdate() + datetime.timedelta(days=2))) == [made]


@pytestmark_db
def test_the_queue_leaves_out_orders_ended_lifted_replaced_or_recent():
    hromada = default_hromada()
    due = OrderFactory(area=hromada, effective_from=LONG_AGO, title="due")
    OrderFactory(area=hromada, effective_from=LONG_AGO, effective_until=timezone.localdate(), title="ends")
    OrderFactory(area=hromada, effective_from=timezone.localdate(), title="recent")
    lifted = OrderFactory(area=hromada, effective_from=LONG_AGO, title="lifted")
    order_update(order=lifted, state="lifted", lifted_on=timezone.localdate())
    replaced = OrderFactory(area=hromada, effective_from=LONG_AGO, title="replaced")
    OrderFactory(area=hromada, effective_from=LONG_AGO + datetime.timedelta(days=50), supersedes=replaced, title="new")
    assert sorted(orders_to_confirm().values_list("title", flat=True)) == ["due", "new"]
    assert due in orders_to_confirm()


@pytestmark_db
def test_replacing_an_order_recomputes_the_areas_of_the_one_replaced():
    old_area, new_area = AreaFactory(), AreaFactory()
    old = OrderFactory(area=old_area, kind="recommended", effective_from=LONG_AGO)
    status_recompute_full()
    assert AreaStatus.objects.get(area=old_area).level == StatusLevel.EVACUATION_RECOMMENDED
    DirtyArea.objects.all().delete()
    OrderFactory(area=new_area, effective_from=LONG_AGO + datetime.timedelta(days=10), supersedes=old)
    assert DirtyArea.objects.filter(area=old_area).exists()
    status_recompute_dirty()
    replaced = AreaStatus.objects.get(area=old_area)
    assert replaced.level == StatusLevel.NORMAL
    assert replaced.reasons == []  # ended long before the shown days: no longer named


@pytestmark_db
def test_a_replacement_written_past_the_services_is_seen_by_the_full_run():
    old_area, new_area = AreaFactory(), AreaFactory()
    old = OrderFactory(area=old_area, kind="recommended", effective_from=LONG_AGO)
    new = OrderFactory(area=new_area, effective_from=LONG_AGO + datetime.timedelta(days=10))
    status_recompute_full()
    DirtyArea.objects.all().delete()
    EvacuationOrder.objects.filter(pk=new.pk).update(supersedes=old)  # no dirty mark, no message
    status_recompute_full()  # judges only what its input checksums say moved
    assert AreaStatus.objects.get(area=old_area).level == StatusLevel.NORMAL


@pytestmark_db
def test_an_order_replaces_another_never_itself_nor_in_a_cycle():
    first = OrderFactory(area=default_hromada())
    second = OrderFactory(area=default_hromada(), supersedes=first)
    with pytest.raises(ValidationError) as itself:
        order_update(order=first, supersedes=first)
    assert "supersedes" in itself.value.message_dict
    with pytest.raises(ValidationError, match="cycle") as cycle:
        order_update(order=EvacuationOrder.objects.get(pk=first.pk), supersedes=second)
    assert "supersedes" in cycle.value.message_dict
    with pytest.raises(ValidationError) as review:
        order_update(order=second, issued_on=D(2023, 8, 1), review_on=D(2023, 7, 1))
    assert "review_on" in review.value.message_dict


@pytestmark_db
def test_the_admin_queue_lists_orders_to_confirm_and_confirms_them(client, staff_user):
    due = OrderFactory(area=default_hromada(), effective_from=LONG_AGO, title="Unconfirmed order")
    OrderFactory(area=default_hromada(), effective_from=timezone.localdate(), title="Fresh order")
    client.force_login(staff_user)
    url = reverse("admin:status_ordertoconfirm_changelist")
    page = client.get(url).content.decode()
    assert "Unconfirmed order" in page and "Fresh order" not in page
    assert "not confirmed for 90 days" in page
    assert reverse("admin:reports_evacuationorder_change", args=[due.pk]) in page
    response = client.post(url, {"action": "confirm_today", "_selected_action": [due.pk]})
    assert response.status_code == 302
    assert EvacuationOrder.objects.get(pk=due.pk).confirmed_on == timezone.localdate()
    assert "Unconfirmed order" not in client.get(url).content.decode()
