"""Factories for group buys: offers are made with the models (the offers work owns their services),
group buys and pledges through the group buy services. Each commits, as a real request would."""

from __future__ import annotations

from datetime import timedelta

from core import clock
from core.extensions import db
from groupbuy import pledges, services
from tests.factories import add_member, make_community, make_pickup_point, make_product, make_supplier

#: 1–99 → 30.00, 100–299 → 26.00, 300+ → 22.00 (wholesale)
TIERS = ((1, 3000), (100, 2600), (300, 2200))


def make_offer(*, product=None, tiers=TIERS, moq: int = 50, case_pack: int = 6, capacity: int | None = None,
               days_open: int = 14, status: str = "open", currency: str = "CNY"):
    from supplier.models import Offer, OfferStatus, PriceTier

    product = product or make_product(make_supplier(currency=currency), case_pack=case_pack)
    variant = product.variants[0]
    now = clock.now()
    offer = Offer(supplier_id=product.supplier_id, variant_id=variant.id, currency=currency, moq=moq,
                  case_pack=case_pack, capacity=capacity, opens_at=now - timedelta(days=1),
                  closes_at=now + timedelta(days=days_open), status=OfferStatus(status), pledged_quantity=0)
    offer.tiers = [PriceTier(min_quantity=threshold, unit_price=price) for threshold, price in tiers]
    db.session.add(offer)
    db.session.commit()
    return offer


def make_group_buy(offer=None, community=None, *, margin_kind: str = "percent", margin: str = "10",
                   days: int = 7, deposit_percent: int = 0, per_member_max: int | None = None,
                   title: str = "Lychees from Hainan"):
    """A group buy on ``offer`` (a new one by default) in ``community`` (a new one with a pickup point)."""
    offer = offer or make_offer()
    community = community or make_community()
    point = next((p for p in community.pickup_points if p.active), None) or make_pickup_point(community)
    group_buy = services.create_group_buy(
        community.owner, community, offer_id=offer.id, title=title, margin_kind=margin_kind, margin=margin,
        deadline=clock.now() + timedelta(days=days), pickup_point_ids=[point.id],
        deposit_percent=deposit_percent, per_member_max=per_member_max)
    db.session.commit()
    return group_buy


def make_pledge(group_buy, user=None, *, quantity: int = 1, tolerance: int = 0):
    """``user`` (a new member of the group buy's community by default) pledges ``quantity`` units."""
    user = user or add_member(group_buy.community)
    pledge = pledges.pledge(user, group_buy.id, quantity=quantity, tolerance=tolerance,
                            pickup_point_id=group_buy.pickup_points[0].id)
    db.session.commit()
    return pledge
