"""What members and shopkeepers are told when an offer closes: one email each, in the reader's own
language. Kept apart from ``groupbuy.closing`` so that the use case reads as the rules it applies."""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa
from flask_babel import force_locale
from flask_babel import gettext as _

from accounts.models import User
from core.extensions import db
from core.mail import send_email
from core.money import Money
from groupbuy.models import GroupBuy, Pledge
from orders.models import Order
from shopkeeper.models import Membership, MembershipRole


def _amount(amount: int, currency: str, user: User) -> str:
    return Money(amount, currency).format(user.locale or "en")


def shopkeepers_of(group_buy: GroupBuy) -> list[User]:
    return list(db.session.execute(
        sa.select(User).join(Membership, Membership.user_id == User.id)
        .where(Membership.community_id == group_buy.community_id, Membership.role == MembershipRole.SHOPKEEPER)
        .order_by(User.id)).scalars())


def tell_failed(group_buy: GroupBuy, released: Iterable[Pledge], refunded: set[int]) -> None:
    """Each released member hears the group buy did not reach its minimum (and that any deposit is on its
    way back); the shopkeepers hear how many pledges were released."""
    released = list(released)
    for pledge in released:
        user = pledge.user
        with force_locale(user.locale or "en"):
            body = _("The group buy “%(title)s” in %(community)s closed below its minimum order, so it will "
                     "not go ahead. Your pledge of %(n)s was released.", title=group_buy.title,
                     community=group_buy.community.name, n=pledge.quantity)
            if pledge.id in refunded:
                body = "\n\n".join([body, _("Your deposit is being refunded.")])
            send_email(user.email, _("Not enough pledges: %(title)s", title=group_buy.title), body)
    for user in shopkeepers_of(group_buy):
        with force_locale(user.locale or "en"):
            send_email(user.email, _("Not enough pledges: %(title)s", title=group_buy.title),
                       _("The offer behind “%(title)s” closed below its minimum order. %(n)s pledges in your "
                         "community were released.", title=group_buy.title, n=len(released)))


def tell_succeeded(group_buy: GroupBuy, confirmed: Iterable[tuple[Pledge, Order]], released: Iterable[Pledge]) -> None:
    """Each confirmed member hears the final price, their quantity and what they still owe; a member whose
    units did not fill a case hears they were released; the shopkeepers hear how many orders there are."""
    confirmed = list(confirmed)
    for pledge, order in confirmed:
        user = pledge.user
        line = order.lines[0]
        with force_locale(user.locale or "en"):
            send_email(user.email, _("It's on: %(title)s", title=group_buy.title), _(
                "The group buy “%(title)s” in %(community)s reached its minimum order. You get %(n)s at "
                "%(price)s each: %(total)s in all, of which %(balance)s is still to pay.",
                title=group_buy.title, community=group_buy.community.name, n=line.quantity,
                price=_amount(line.unit_price, order.currency, user),
                total=_amount(order.total_amount, order.currency, user),
                balance=_amount(order.balance_amount, order.currency, user)))
    for pledge in released:
        user = pledge.user
        with force_locale(user.locale or "en"):
            send_email(user.email, _("It's on: %(title)s", title=group_buy.title), _(
                "The group buy “%(title)s” goes ahead, but your units did not fill a whole case, so your "
                "pledge was released and you pay nothing.", title=group_buy.title))
    for user in shopkeepers_of(group_buy):
        with force_locale(user.locale or "en"):
            send_email(user.email, _("It's on: %(title)s", title=group_buy.title), _(
                "The offer behind “%(title)s” reached its minimum order: %(n)s orders in your community are "
                "confirmed.", title=group_buy.title, n=len(confirmed)))
