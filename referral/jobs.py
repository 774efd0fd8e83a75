"""Jobs for growth and rewards, taking ids: held referrals nobody acted on in time are paid
(``pay_overdue_referrals``, every minute from ``PERIODIC_JOBS``), each in a unit of work of its own."""

from __future__ import annotations

from groupbuy.jobs import each_committed
from referral import invites


def pay_overdue_referrals() -> dict[int, object]:
    return each_committed(invites.overdue_held_ids(), invites.pay_overdue_held, "paying held referral")
