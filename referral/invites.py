"""Invite rewards. Each member has a personal invite link per community (an ``Invite`` of theirs). A friend
who joins through it is referred; when the friend's first order in the community is paid and picked up
(``orders.fulfilment.order_picked_up``), the referral is decided, once per friend and community:

* **rejected** — the same account, or the same normalised email (``normalised_email``: case, dots and
  ``+tags`` of providers that ignore them), or the same saved card (``_same_card``: the same card
  fingerprint when the gateway told us both, else the same saved payment method), or a friend who was not
  new to the community (an order there before joining);
* **capped** — the inviter already had ``monthly_cap`` rewarded (or held) referrals this month (UTC);
* **held** — suspicious (``suspicion``: the inviter had 3 or more conversions in the last 24 hours, or the
  friend's account was less than a day old when they joined): the shopkeeper approves or rejects it, and
  if nobody acts by ``held_until`` (``hold_hours``) it is paid (``pay_overdue_held``);
* otherwise **paid**: both get the community's rewards in store credit, each once (ledger keys
  ``referral-<id>-inviter`` / ``-friend``)."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from accounts.models import User
from core import clock
from core.errors import Conflict, NotFound
from core.extensions import db
from orders.fulfilment import order_picked_up
from orders.models import Order, OrderStatus
from payments.models import GatewayCustomer
from referral import credit
from referral.models import CreditSource, Referral, ReferralLink, ReferralProgram, ReferralStatus
from shopkeeper.access import require_member, require_shopkeeper
from shopkeeper.models import Community, Invite, Membership
from shopkeeper.validation import MAX_ID

BURST = 3  #: conversions by one inviter within ``BURST_WINDOW`` that make the next one suspicious
BURST_WINDOW = timedelta(hours=24)
NEW_ACCOUNT = timedelta(hours=24)  #: a friend whose account was younger than this when joining is suspicious
_DOTLESS = {"gmail.com", "googlemail.com"}  #: providers that ignore dots in the local part


def normalised_email(email: str) -> str:
    """The mailbox an address really reaches: lower case, ``+tag`` dropped, and for providers that ignore
    them the local part's dots too (``J.Doe+shop@GoogleMail.com`` → ``jdoe@gmail.com``)."""
    local, _, domain = email.strip().lower().rpartition("@")
    local = local.split("+", 1)[0]
    if domain in _DOTLESS:
        local, domain = local.replace(".", ""), "gmail.com"
    return f"{local}@{domain}"


def personal_link(user: User, community: Community) -> Invite:
    """The member's own invite link in the community, made the first time it is asked for."""
    require_member(user, community)
    link = db.session.execute(sa.select(ReferralLink).filter_by(community_id=community.id, user_id=user.id)
                              ).scalar_one_or_none()
    if link is not None:
        return db.session.get(Invite, link.invite_id)
    try:
        with db.session.begin_nested():
            invite = Invite(community_id=community.id, created_by_id=user.id, token=secrets.token_urlsafe(16),
                            label="personal")
            db.session.add(invite)
            db.session.flush()
            db.session.add(ReferralLink(community_id=community.id, user_id=user.id, invite_id=invite.id))
            db.session.flush()
            return invite
    except IntegrityError:  # made at the same moment by another request
        link = db.session.execute(sa.select(ReferralLink).filter_by(community_id=community.id, user_id=user.id)
                                  ).scalar_one()
        return db.session.get(Invite, link.invite_id)


def _inviter_of(membership: Membership) -> int | None:
    if membership.invite_id is None:
        return None
    return db.session.execute(sa.select(ReferralLink.user_id).where(
        ReferralLink.invite_id == membership.invite_id)).scalar_one_or_none()


def _same_person(inviter: User, friend: User) -> str | None:
    if inviter.id == friend.id:
        return "same_account"
    if normalised_email(inviter.email) == normalised_email(friend.email):
        return "same_email"
    if _same_card(inviter.id, friend.id):
        return "same_card"
    return None


def _same_card(inviter_id: int, friend_id: int) -> bool:
    """Whether the two saved the same card. A card number saved by two customers has two payment method
    ids but one fingerprint (``GatewayCustomer.card_fingerprint``), so fingerprints decide when both are
    known; when either is unknown (the card was saved from a webhook, which names it only by id), the same
    payment method id still gives the card away."""
    cards = db.session.execute(sa.select(
        GatewayCustomer.user_id, GatewayCustomer.payment_method_id, GatewayCustomer.card_fingerprint).where(
        GatewayCustomer.user_id.in_([inviter_id, friend_id]), GatewayCustomer.payment_method_id.is_not(None))).all()
    mine = [(method, fingerprint) for user_id, method, fingerprint in cards if user_id == inviter_id]
    theirs = [(method, fingerprint) for user_id, method, fingerprint in cards if user_id == friend_id]
    return any(fingerprint == their_fingerprint if fingerprint and their_fingerprint else method == their_method
               for method, fingerprint in mine for their_method, their_fingerprint in theirs)


def _month_start(now: datetime) -> datetime:
    return now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def _counted(inviter_id: int, community_id: int, since: datetime) -> int:
    return db.session.execute(sa.select(sa.func.count()).select_from(Referral).where(
        Referral.inviter_id == inviter_id, Referral.community_id == community_id, Referral.converted_at >= since,
        Referral.status.in_([ReferralStatus.PAID, ReferralStatus.HELD]))).scalar_one()


def suspicion(inviter_id: int, friend: User, membership: Membership, community_id: int) -> str | None:
    if _counted(inviter_id, community_id, clock.now() - BURST_WINDOW) >= BURST:
        return "burst"
    if membership.joined_at - friend.created_at < NEW_ACCOUNT:
        return "new_account"
    return None


def _decide(program: ReferralProgram, inviter: User, friend: User, membership: Membership, order: Order
            ) -> tuple[ReferralStatus, str]:
    reason = _same_person(inviter, friend)
    if reason:
        return ReferralStatus.REJECTED, reason
    earlier = db.session.execute(sa.select(Order.id).where(
        Order.user_id == friend.id, Order.community_id == order.community_id,
        Order.created_at < membership.joined_at).limit(1)).first()
    if earlier:
        return ReferralStatus.REJECTED, "not_new"
    if _counted(inviter.id, order.community_id, _month_start(clock.now())) >= program.monthly_cap:
        return ReferralStatus.CAPPED, "monthly_cap"
    reason = suspicion(inviter.id, friend, membership, order.community_id)
    if reason:
        return ReferralStatus.HELD, reason
    return ReferralStatus.PAID, ""


def convert(order: Order) -> Referral | None:
    """Decide the referral of the order's member if this is their first order picked up in a community
    they joined through another member's link; None otherwise (or when it was decided already)."""
    program = db.session.execute(sa.select(ReferralProgram).filter_by(community_id=order.community_id,
                                                                      active=True)).scalar_one_or_none()
    friend = db.session.get(User, order.user_id)
    membership = db.session.execute(sa.select(Membership).filter_by(
        community_id=order.community_id, user_id=order.user_id)).scalar_one_or_none()
    inviter_id = _inviter_of(membership) if membership else None
    if program is None or friend is None or inviter_id is None:
        return None
    if db.session.execute(sa.select(Referral.id).filter_by(community_id=order.community_id,
                                                           invitee_id=friend.id)).first():
        return None
    inviter = db.session.get(User, inviter_id)
    status, reason = _decide(program, inviter, friend, membership, order)
    now = clock.now()
    referral = Referral(community_id=order.community_id, inviter_id=inviter.id, invitee_id=friend.id,
                        order_id=order.id, status=status, reason=reason, converted_at=now,
                        held_until=now + timedelta(hours=program.hold_hours) if status == ReferralStatus.HELD
                        else None, decided_at=None if status == ReferralStatus.HELD else now)
    try:
        with db.session.begin_nested():
            db.session.add(referral)
            db.session.flush()
    except IntegrityError:  # decided by another unit of work at the same moment
        return None
    if status == ReferralStatus.PAID:
        _pay(referral, program)
    return referral


def _pay(referral: Referral, program: ReferralProgram) -> None:
    for user_id, amount, side in ((referral.inviter_id, program.inviter_reward, "inviter"),
                                  (referral.invitee_id, program.friend_reward, "friend")):
        if amount > 0:
            credit.grant(user_id, referral.community_id, amount, CreditSource.REFERRAL_REWARD,
                         f"referral-{referral.id}-{side}")


def _held(referral_id, community: Community | None = None) -> Referral:
    referral = db.session.execute(sa.select(Referral).where(Referral.id == referral_id).with_for_update()
                                  .execution_options(populate_existing=True)).scalar_one_or_none() \
        if isinstance(referral_id, int) and 0 < referral_id <= MAX_ID else None
    if referral is None or (community is not None and referral.community_id != community.id):
        raise NotFound()
    return referral


def _settle(referral: Referral, status: ReferralStatus) -> Referral:
    if referral.status == status:
        return referral
    if referral.status != ReferralStatus.HELD:
        raise Conflict("wrong_state", _l("This referral is already decided."))
    referral.status, referral.decided_at, referral.held_until = status, clock.now(), None
    db.session.flush()
    if status == ReferralStatus.PAID:
        _pay(referral, db.session.execute(sa.select(ReferralProgram).filter_by(
            community_id=referral.community_id)).scalar_one())
    return referral


def approve(user: User, referral_id: int, community: Community | None = None) -> Referral:
    """The shopkeeper pays a held referral (again: nothing more); ``community``, when given, must be the
    referral's (a page's URL). Raises ``not_found``, ``forbidden``, ``wrong_state`` (409)."""
    referral = _held(referral_id, community)
    require_shopkeeper(user, db.session.get(Community, referral.community_id))
    return _settle(referral, ReferralStatus.PAID)


def reject(user: User, referral_id: int, community: Community | None = None) -> Referral:
    referral = _held(referral_id, community)
    require_shopkeeper(user, db.session.get(Community, referral.community_id))
    if referral.status == ReferralStatus.HELD:
        referral.reason = "shopkeeper"
    return _settle(referral, ReferralStatus.REJECTED)


def overdue_held_ids() -> list[int]:
    return list(db.session.execute(sa.select(Referral.id).where(
        Referral.status == ReferralStatus.HELD, Referral.held_until <= clock.now()).order_by(Referral.id)).scalars())


def pay_overdue_held(referral_id: int) -> str:
    """A held referral nobody acted on in time is paid."""
    referral = _held(referral_id)
    if referral.status != ReferralStatus.HELD or referral.held_until > clock.now():
        return "not due"
    return _settle(referral, ReferralStatus.PAID).status.value


def _on_picked_up(_sender, order: Order, **_extra) -> None:
    if order.status == OrderStatus.PICKED_UP:
        convert(order)


order_picked_up.connect(_on_picked_up)
