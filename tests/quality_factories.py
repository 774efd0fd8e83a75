"""Factories for the quality harness (browser, API fuzzing): posts, invites and a populated community.
Plain functions with keyword overrides; each commits, as a real request would."""

from __future__ import annotations

from datetime import timedelta

from accounts.models import Role
from core import clock
from core.extensions import db
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


def make_busy_world() -> dict:
    """One person who is everything at once — operator, supplier staff and shopkeeper of a community with
    tagged members, posts with comments and an invite, and a supplier with an open offer that the community runs
    as a group buy with pledges, and an open subscription plan it subscribes to — so that every API operation has
    something to find. ``spares`` are a second post, comment, invite, open offer, group buy (with a pledge) and
    plan with its subscription, there to be deleted, withdrawn or cancelled."""
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
    return {"plan": plan, "subscription": subscription,
            "user": boss, "tags": (dry, oily), "supplier": supplier, "product": product, "community": community,
            "members": members, "point": point, "post": post, "comment": comment, "invite": invite,
            "offer": offer, "group_buy": group_buy, "spares": spares}
