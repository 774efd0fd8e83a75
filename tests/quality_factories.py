"""Factories for the quality harness (browser, API fuzzing): posts, invites and a populated community.
Plain functions with keyword overrides; each commits, as a real request would."""

from __future__ import annotations

from datetime import timedelta

from accounts.models import Role
from core import clock
from core.extensions import db
from orders.models import OrderStatus
from orders.services import LineSpec, create_order
from payments.models import PaymentPurpose
from payments.services import create_payment
from referral import checkout, credit, draws, reviews
from referral.models import CreditSource
from supplier import offers
from supplier.models import OfferStatus
from tests.factories import (
    add_member,
    make_comment,
    make_community,
    make_invite,
    make_pickup_point,
    make_post,
    make_product,
    make_supplier,
    make_tag,
    make_user,
)
from tests.groupbuy_factories import make_group_buy, make_pledge
from tests.test_reviews import jpeg_with_gps


def _open_offer(staff, variant):
    """An offer on ``variant`` open for a week, with the issue's three price tiers."""
    offer = offers.create_offer(staff, variant.id, moq=100, capacity=1000, opens_at=clock.now(),
                                closes_at=clock.now() + timedelta(days=7),
                                tiers=[(1, 3000), (100, 2600), (300, 2200)])
    offers.change_status(offer, OfferStatus.OPEN)
    db.session.commit()
    return offer


def _box_plan(community, member):
    """An open subscription plan in ``community`` and ``member``'s subscription to it."""
    from subscriptions import services
    from tests.subscription_factories import make_plan

    plan, _variants = make_plan(community)
    subscription = services.subscribe(member, plan.id, pickup_point_id=plan.pickup_points[0].id)
    db.session.commit()
    return plan, subscription


def _growth(community, boss, reviewer, variant):
    """Something for each growth endpoint: ``boss``'s store credit, kept for later, and an order of theirs
    waiting for cash at pickup; ``reviewer``'s approved review of ``variant`` with a photo; a drawn lucky
    draw. Returns (order, draw)."""
    checkout.set_auto_apply(boss, community, False)
    credit.grant(boss.id, community.id, 1500, CreditSource.DRAW_PRIZE, "busy-world-credit", note="Spring draw")
    orders = [create_order(user_id=user.id, community_id=community.id, pickup_point_id=None, source="busy-world",
                           source_id=n, currency=community.currency, lines=[LineSpec(variant.id, 2, 3000, 2200)])
              for n, user in enumerate((boss, reviewer), start=1)]
    create_payment(PaymentPurpose.BALANCE, f"order:{orders[0].id}", boss, orders[0].total_amount,
                   community.currency, gateway="offline", order_id=orders[0].id)
    orders[1].status, orders[1].picked_up_at = OrderStatus.PICKED_UP, clock.now()
    reviews.submit(reviewer, orders[1].lines[0].id, rating=5, text="Sweet lychees, all fresh",
                   photos=[jpeg_with_gps()])
    lucky = draws.create_draw(boss, community, title="Lotus Court thanks", prize_credit=500, winners=1,
                              draw_at=clock.now() + timedelta(minutes=1))
    db.session.commit()
    with clock.frozen(clock.as_utc(lucky.draw_at) + timedelta(seconds=1)):
        draws.draw(lucky.id)
    db.session.commit()
    return orders[0], lucky


def make_busy_world() -> dict:
    """One person who is everything at once — operator, supplier staff and shopkeeper of a community with
    tagged members, posts with comments and an invite, and a supplier with an open offer that the community runs
    as a group buy with pledges, an open subscription plan it subscribes to, store credit with an order it may pay
    toward, a reviewed product and a drawn lucky draw — so that every API operation has something to find.
    ``spares`` are a second post, comment, invite, open offer, group buy (with a pledge) and plan with its
    subscription, there to be deleted, withdrawn or cancelled."""
    boss = make_user(display_name="Wang Fang 王芳", roles=(Role.OPERATOR, Role.SHOPKEEPER))
    dry, oily = make_tag("skin", "dry", "Dry", "干性"), make_tag("skin", "oily", "Oily", "油性")
    supplier = make_supplier(name="Hainan Orchards", staff=(boss,))
    product = make_product(supplier, name="Lychee box", tags=(dry,))
    community = make_community(boss, name="Lotus Court", slug="lotus-court")
    members = [add_member(community, make_user(display_name=name), tags=tags)
               for name, tags in (("Li Na 李娜", (dry,)), ("Zhang Wei 张伟", (oily,)), ("Emma Brown", ()))]
    point = make_pickup_point(community)
    # The spares come first: small ids (1, 0) are what generated requests try most.
    spare_post = make_post(community, boss, body="Last week's peaches: all picked up, thank you!")
    spares = {"post": spare_post, "comment": make_comment(spare_post, members[1], body="Delicious!"),
              "invite": make_invite(community, label="Old flyer"),
              "offer": _open_offer(boss, product.variants[0])}
    post = make_post(community, boss, pinned=True)
    comment = make_comment(post, members[0])
    invite = make_invite(community)
    offer = _open_offer(boss, product.variants[0])
    group_buy = make_group_buy(offer, community, title="Lychees for Lotus Court", days=3)
    make_pledge(group_buy, members[0], quantity=4, tolerance=2)
    make_pledge(group_buy, boss, quantity=2)
    spares["group_buy"] = make_group_buy(spares["offer"], community, title="Spare lychees", days=3)
    make_pledge(spares["group_buy"], boss, quantity=1)
    plan, subscription = _box_plan(community, boss)
    spares["plan"], spares["subscription"] = _box_plan(community, boss)
    order, lucky = _growth(community, boss, members[0], product.variants[0])
    return {"plan": plan, "subscription": subscription, "order": order, "draw": lucky,
            "user": boss, "tags": (dry, oily), "supplier": supplier, "product": product, "community": community,
            "members": members, "point": point, "post": post, "comment": comment, "invite": invite,
            "offer": offer, "group_buy": group_buy, "spares": spares}
