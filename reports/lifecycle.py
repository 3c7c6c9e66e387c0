"""An order's life cycle in dates, as pure functions: no database, no clock.

One home for "when does an order need confirming", read by the status engine (the reason says
`to_confirm`) and by the admin's queue of orders to confirm (evactrack.status.admin). Orders
never go stale by themselves: an authority rarely announces that an open-ended order still
holds, and one nobody has confirmed for months may be dead. Its level is not dropped; it is
flagged for a coordinator to confirm (set `confirmed_on`), end or lift.
"""

from __future__ import annotations

import datetime

DAY = datetime.timedelta(days=1)


def unconfirmed_since(
    *,
    effective_from: datetime.date,
    issued_on: datetime.date | None,
    confirmed_on: datetime.date | None,
    as_of: datetime.date,
) -> datetime.date:
    """The last day the order was known to hold at as_of: the latest of its issue, its start and
    its last confirmation. A confirmation dated after as_of was not known then and is not counted
    (only the latest confirmation is stored, so an earlier one it replaced is not known either)."""
    known = [effective_from, issued_on, confirmed_on if confirmed_on is not None and confirmed_on <= as_of else None]
    return max(day for day in known if day is not None)


def to_confirm_from(
    *,
    effective_from: datetime.date,
    effective_until: datetime.date | None,
    issued_on: datetime.date | None,
    confirmed_on: datetime.date | None,
    review_on: datetime.date | None,
    review_days: int,
    as_of: datetime.date,
) -> datetime.date | None:
    """The first day on which an order in force is "to confirm", as known at as_of; None when it
    never is (it has an end date: it runs out by itself).

    That is the day after `review_days` have passed since `unconfirmed_since`, or the day after
    the order's own review date when that comes first and no confirmation came on or after it.
    """
    if effective_until is not None:
        return None
    since = unconfirmed_since(
        effective_from=effective_from, issued_on=issued_on, confirmed_on=confirmed_on, as_of=as_of
    )
    due = since + datetime.timedelta(days=review_days)
    if review_on is not None and review_on > since:
        due = min(due, review_on)
    return due + DAY
