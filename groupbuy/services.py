"""Group buy use cases for the shopkeeper (create, edit, cancel) and what members read (the list, one
group buy, its progress). Pledges are in ``groupbuy.pledges``; prices in ``groupbuy.pricing``.

Only members of a community see its group buys: anything else is a 404, also by id. Closing at the
deadline (orders, purchase orders, payments) comes later and builds on ``accepting_pledges`` and
``groupbuy.allocation``."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload
from werkzeug.datastructures import FileStorage

from accounts.models import User
from core import clock
from core.auth import require
from core.errors import Conflict, DomainError, NotFound
from core.extensions import db
from core.templating import local_time
from core.uploads import save_image
from groupbuy import demand, pricing
from groupbuy.capacity import shift_pledged
from groupbuy.models import GroupBuy, GroupBuyImage, GroupBuyStatus, MarginKind, Pledge, PledgeStatus
from shopkeeper.access import require_member
from shopkeeper.models import Community, Membership, MembershipRole, PickupPoint
from shopkeeper.services import active_pickup_point
from shopkeeper.social import check_body, get_by_id
from supplier.models import Offer, OfferStatus
from supplier.offers import open_offers_for_shopkeepers
from supplier.validation import MAX_ID

MAX_TITLE = 160
MAX_DESCRIPTION = 5000
MAX_IMAGES = 9
#: what ``update_group_buy`` may change (never the offer)
EDITABLE = frozenset({"title", "description", "margin_kind", "margin", "deadline", "pickup_point_ids",
                      "deposit_percent", "per_member_max"})


@dataclass(frozen=True)
class GroupBuyView:
    """A group buy as a member sees it: where its offer stands and how many pledged here."""

    group_buy: GroupBuy
    progress: pricing.Progress
    pledge_count: int  #: active pledges in this group buy
    open: bool  #: members may pledge, change and cancel right now


def accepting_pledges(group_buy: GroupBuy, now: datetime | None = None) -> bool:
    """Members may pledge, change or cancel: the group buy and its offer are open and the deadline has
    not come. Pages compute this from the clock, so a late closing job never shows a wrong state."""
    now = now or clock.now()
    offer = group_buy.offer
    return (group_buy.status == GroupBuyStatus.OPEN and now < group_buy.deadline
            and offer.status == OfferStatus.OPEN and now < offer.closes_at)


def require_open(group_buy: GroupBuy) -> None:
    """Raises ``closed`` (409) with the moment it closed, once pledges may no longer change."""
    now = clock.now()
    if not accepting_pledges(group_buy, now):
        offer = group_buy.offer
        passed = [moment for moment in (group_buy.deadline, offer.closes_at) if moment <= now]
        ended = [moment for moment in (group_buy.closed_at, offer.closed_at) if moment is not None]
        moment = min(passed + ended, default=now)  # an offer withdrawn without a date: closed as of now
        raise Conflict("closed", _l("This group buy closed on %(date)s.",
                                    date=local_time(moment, group_buy.community.timezone)))


def visible_group_buy(user: User, group_buy_id: int, community: Community | None = None,
                      lock: bool = False) -> tuple[GroupBuy, Membership]:
    """The group buy and the caller's membership of its community. Raises ``not_found`` when it does not
    exist, is not in ``community`` (when given) or the caller is not a member there. ``lock`` reads it
    FOR SHARE, so that it cannot be cancelled while a pledge on it is being written."""
    if not isinstance(group_buy_id, int) or not 0 < group_buy_id <= MAX_ID:
        raise NotFound()
    query = sa.select(GroupBuy).where(GroupBuy.id == group_buy_id)
    if lock:
        query = query.with_for_update(read=True).execution_options(populate_existing=True)
    group_buy = db.session.execute(query).scalar_one_or_none()
    if group_buy is None or (community is not None and group_buy.community_id != community.id):
        raise NotFound()
    return group_buy, require_member(user, group_buy.community)


def managed_group_buy(user: User, group_buy_id: int, community: Community | None = None) -> GroupBuy:
    """A group buy the caller runs. Raises ``not_found`` and ``forbidden`` (a member, not the shopkeeper)."""
    group_buy, membership = visible_group_buy(user, group_buy_id, community)
    require(membership.role == MembershipRole.SHOPKEEPER, _l("Only the shopkeeper can change a group buy."))
    return group_buy


def describe(group_buy: GroupBuy) -> GroupBuyView:
    """The group buy with its offer's pooled total, current and next tier and its pledge count."""
    return _views([group_buy])[0]


def community_group_buys(user: User, community: Community) -> list[GroupBuyView]:
    """The community's group buys, open ones first, then by deadline. Raises ``not_found`` for outsiders."""
    require_member(user, community)
    group_buys = db.session.execute(
        sa.select(GroupBuy).where(GroupBuy.community_id == community.id)
        .options(selectinload(GroupBuy.offer).selectinload(Offer.tiers),
                 selectinload(GroupBuy.offer).selectinload(Offer.variant), selectinload(GroupBuy.images))
        .order_by(GroupBuy.deadline.desc(), GroupBuy.id.desc())
    ).scalars().all()
    views = _views(group_buys)
    return sorted(views, key=lambda view: not view.open)


def _views(group_buys: Sequence[GroupBuy]) -> list[GroupBuyView]:
    ids = [group_buy.id for group_buy in group_buys]
    counts = dict(db.session.execute(
        sa.select(Pledge.group_buy_id, sa.func.count())
        .where(Pledge.group_buy_id.in_(ids), Pledge.status == PledgeStatus.ACTIVE).group_by(Pledge.group_buy_id)
    ).all()) if ids else {}
    now = clock.now()
    return [GroupBuyView(group_buy, pricing.progress(group_buy, group_buy.offer.pledged_quantity),
                         counts.get(group_buy.id, 0), accepting_pledges(group_buy, now))
            for group_buy in group_buys]


def offers_to_run(community: Community) -> list[Offer]:
    """Open offers a shopkeeper may start a group buy on, without those this community already runs."""
    taken = set(db.session.execute(
        sa.select(GroupBuy.offer_id).where(GroupBuy.community_id == community.id)).scalars())
    return [offer for offer in open_offers_for_shopkeepers(clock.now()) if offer.id not in taken]


def _open_offer(offer_id) -> Offer:
    offer = get_by_id(Offer, offer_id) if isinstance(offer_id, int) else None
    now = clock.now()
    if offer is None or offer.status != OfferStatus.OPEN or not offer.opens_at <= now < offer.closes_at:
        raise DomainError("offer_not_open", _l("Choose an offer that is open for group buys."), field="offer_id")
    return offer


def _check_deadline(deadline, offer: Offer) -> datetime:
    if not isinstance(deadline, datetime) or deadline.tzinfo is None:
        raise DomainError("bad_deadline", _l("Give the deadline as a date and time."), field="deadline")
    if deadline <= clock.now():
        raise DomainError("bad_deadline", _l("The deadline must be in the future."), field="deadline")
    if deadline > offer.closes_at:
        raise DomainError("bad_deadline", _l("The deadline must be no later than the offer closes."),
                          field="deadline")
    return deadline


def _check_range(value, field: str, low: int, high: int, message) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise DomainError("out_of_range", message, field=field)
    return value


def _pickup_points(community: Community, ids: Iterable[int] | None) -> list[PickupPoint]:
    field = "pickup_point_ids"
    ids = list(dict.fromkeys(ids or []))
    if not ids:
        raise DomainError("required", _l("Choose at least one pickup point."), field=field)
    for point_id in ids:
        if not isinstance(point_id, int) or not 0 < point_id <= MAX_ID:
            raise DomainError("bad_pickup_point", _l("Choose one of this community's pickup points."), field=field)
    return [active_pickup_point(community, point_id, field=field) for point_id in ids]


def _margin(group_buy: GroupBuy, kind, text) -> None:
    if kind == MarginKind.FIXED and group_buy.community.currency != group_buy.offer.currency:
        raise DomainError("currency_mismatch", _l(
            "This offer is priced in %(offer)s and your community in %(community)s: use a percentage margin.",
            offer=group_buy.offer.currency, community=group_buy.community.currency), field="margin")
    group_buy.margin_kind, group_buy.margin_value = pricing.parse_margin(kind, text, group_buy.offer.currency)


def _apply(group_buy: GroupBuy, changes: dict) -> None:
    """Check and set each given field; raises the first refusal."""
    if "title" in changes:
        group_buy.title = check_body(changes["title"], max_length=MAX_TITLE, required=_l("Give it a title."),
                                     field="title")
    if "description" in changes:
        text = changes["description"] or ""
        group_buy.description = check_body(text, max_length=MAX_DESCRIPTION, required="",
                                           field="description") if text.strip() else ""
    if "margin_kind" in changes and "margin" not in changes and changes["margin_kind"] != group_buy.margin_kind:
        raise DomainError("required", _l("Give the margin again when you change its kind."), field="margin")
    if "margin" in changes:
        _margin(group_buy, changes.get("margin_kind", group_buy.margin_kind), changes["margin"])
    if "deadline" in changes:
        group_buy.deadline = _check_deadline(changes["deadline"], group_buy.offer)
    if "deposit_percent" in changes:
        group_buy.deposit_percent = _check_range(changes["deposit_percent"], "deposit_percent", 0, 100,
                                                 _l("The deposit is a percentage from 0 to 100."))
    if "per_member_max" in changes:
        value = changes["per_member_max"]
        group_buy.per_member_max = None if value is None else _check_range(
            value, "per_member_max", 1, MAX_ID, _l("The most one member may pledge is at least 1."))
    if "pickup_point_ids" in changes:
        points = _pickup_points(group_buy.community, changes["pickup_point_ids"])
        if group_buy.id is not None:
            _keep_points_in_use(group_buy, {point.id for point in points})
        group_buy.pickup_points = points


def _keep_points_in_use(group_buy: GroupBuy, kept: set[int]) -> None:
    in_use = db.session.execute(
        sa.select(Pledge.id).where(Pledge.group_buy_id == group_buy.id, Pledge.status == PledgeStatus.ACTIVE,
                                   Pledge.pickup_point_id.not_in(kept)).limit(1)).first()
    if in_use is not None:
        raise DomainError("pickup_point_in_use", _l("Members collect at a pickup point you took away: keep it."),
                          field="pickup_point_ids")


def create_group_buy(user: User, community: Community, *, offer_id: int, title: str, margin_kind, margin,
                     deadline: datetime, pickup_point_ids: Iterable[int], description: str = "",
                     deposit_percent: int = 0, per_member_max: int | None = None,
                     images: Iterable[FileStorage] = ()) -> GroupBuy:
    """A group buy on an open offer, run by the community's shopkeeper, open for pledges until its deadline.

    Raises ``not_found`` (outsiders), ``forbidden`` (members), ``offer_not_open``, ``required``,
    ``too_long``, ``bad_margin``, ``currency_mismatch`` (a fixed margin in another currency than the
    offer's), ``bad_deadline`` (past, or after the offer closes), ``bad_pickup_point``, ``out_of_range``
    (deposit, per-member maximum), ``too_many_images``, ``bad_image`` and ``group_buy_exists`` (409: one
    group buy per offer and community)."""
    membership = require_member(user, community)
    require(membership.role == MembershipRole.SHOPKEEPER, _l("Only the shopkeeper can start a group buy."))
    offer = _open_offer(offer_id)
    group_buy = GroupBuy(offer=offer, community=community, created_by_id=user.id, status=GroupBuyStatus.OPEN)
    _apply(group_buy, {"title": title, "description": description, "margin_kind": margin_kind, "margin": margin,
                       "deadline": deadline, "pickup_point_ids": pickup_point_ids,
                       "deposit_percent": deposit_percent, "per_member_max": per_member_max})
    files = [file for file in images if file and file.filename]
    if len(files) > MAX_IMAGES:
        raise DomainError("too_many_images", _l("Attach at most %(n)s images.", n=MAX_IMAGES), field="images")
    group_buy.images = [GroupBuyImage(filename=save_image(file, field="images"), position=position)
                        for position, file in enumerate(files)]
    _refuse_second(offer, community)
    try:
        with db.session.begin_nested():
            db.session.add(group_buy)
    except IntegrityError:
        raise _exists() from None
    return group_buy


def _exists() -> Conflict:
    return Conflict("group_buy_exists", _l("This community already runs a group buy on this offer."),
                    field="offer_id")


def _refuse_second(offer: Offer, community: Community) -> None:
    if db.session.execute(sa.select(GroupBuy.id).where(
            GroupBuy.offer_id == offer.id, GroupBuy.community_id == community.id)).first() is not None:
        raise _exists()


def update_group_buy(user: User, group_buy_id: int, community: Community | None = None, **changes) -> GroupBuy:
    """Change an open group buy (never its offer); what is not given stays. Pledges keep their price caps.
    Raises ``not_found``, ``forbidden``, ``closed`` (409), ``unknown_field`` and what ``create_group_buy``
    raises for bad values, plus ``pickup_point_in_use`` (a pickup point members chose cannot go)."""
    group_buy = managed_group_buy(user, group_buy_id, community)
    unknown = set(changes) - EDITABLE
    if unknown:
        raise DomainError("unknown_field", _l("These fields cannot be changed here."), field=sorted(unknown)[0])
    require_open(group_buy)
    _apply(group_buy, changes)
    db.session.flush()
    return group_buy


def cancel_group_buy(user: User, group_buy_id: int, community: Community | None = None) -> GroupBuy:
    """Withdraw an open group buy: it becomes CANCELLED and every active pledge RELEASED, their units
    given back to the offer's pooled total in one UPDATE. Raises ``not_found``, ``forbidden`` and
    ``not_open`` (409: already cancelled or closed)."""
    group_buy = managed_group_buy(user, group_buy_id, community)
    cancelled = db.session.execute(
        sa.update(GroupBuy).where(GroupBuy.id == group_buy.id, GroupBuy.status == GroupBuyStatus.OPEN)
        .values(status=GroupBuyStatus.CANCELLED, closed_at=clock.now()).returning(GroupBuy.id)
    ).first()
    if cancelled is None:
        raise Conflict("not_open", _l("Only an open group buy can be cancelled."))
    release_pledges(group_buy)
    db.session.refresh(group_buy)
    return group_buy


def release_pledges(group_buy: GroupBuy) -> int:
    """Every active pledge of the group buy becomes RELEASED and its units go back to the offer's pooled
    total in one UPDATE; returns the units released. The seam for closing a failed offer, too."""
    released = db.session.execute(
        sa.update(Pledge).where(Pledge.group_buy_id == group_buy.id, Pledge.status == PledgeStatus.ACTIVE)
        .values(status=PledgeStatus.RELEASED, cancelled_at=clock.now())
        .returning(Pledge.quantity, Pledge.pickup_point_id)
        .execution_options(synchronize_session=False)
    ).all()
    units = sum(quantity for quantity, _point in released)
    cells: dict[demand.Key, demand.Delta] = defaultdict(demand.Delta)
    for quantity, point_id in released:
        cells[demand.key_for(group_buy.offer, group_buy.community_id, point_id)].add(-demand.pending(quantity))
    demand.shift_many(cells)
    if units and shift_pledged(group_buy.offer_id, -units) is None:
        raise RuntimeError(f"offer {group_buy.offer_id} holds fewer units than group buy {group_buy.id} released")
    db.session.expire_all()
    return units
