"""The demo's growth tools (issue #6; ``demo.seed_demo`` calls ``seed_growth``), made through the services the
pages use, in Lin's Fruit Club, each at the moment it would have happened (the clock is set back for it):

- a review campaign in force: 5.00 of store credit per review of at least 20 characters, Lin approving each;
- the blueberries picked up two hours ago (a few more collected since) reviewed by their buyers — the demo
  member Mei first when she bought some: most approved and rewarded, two with a photo, two waiting in
  Lin's queue, one hidden as an advert;
- a lucky draw scheduled last week among the members with an approved review since then, drawn a few
  minutes ago (3 winners of 8.00 each, its audit page published); another, for an item, in three days
  among the members pledged to the mangoes;
- invite rewards (10.00 for the inviter, 5.00 for the friend, 5 a month, held 48 hours): two friends joined
  through Mei's personal link and collected a first order (apples from the first-harvest drop, paid in cash
  at pickup) — one paid out, Mei credited; one held, a brand-new account, for Lin to decide;
- Mei pledged to the mangoes, her credit left to apply itself, so it pays toward her balance at close.

A drawn lucky draw's seed is random by design (``core.fairdraw``), so its winners differ between runs."""

from __future__ import annotations

import io
import random
from collections.abc import Callable
from datetime import datetime, timedelta

import sqlalchemy as sa
from PIL import Image
from werkzeug.datastructures import FileStorage

from accounts.models import User
from core import clock
from core.extensions import db
from groupbuy.models import GroupBuy, Pledge
from orders.models import Order, OrderStatus
from shopkeeper.models import Community, Membership
from supplier.models import Offer, Variant

#: (stars, text) — each long enough for the campaign's reward
REVIEWS = [
    (5, "Huge, firm berries and not a single squashed one. My kids finished a box before dinner."),
    (4, "颗粒饱满，酸甜适中，冷藏三天还很新鲜。下次还会跟团！"),
    (5, "比超市买的大很多，每一颗都很脆，孩子们特别喜欢吃。"),
    (3, "Sweet enough, but a few berries in my second punnet were soft. Still good value."),
    (4, "Good berries for smoothies and yoghurt; the 4 x 125 g punnets are handy."),
    (2, "有几颗有点软，不过林小姐说下次会换包装，期待改进。"),
]
ADVERT = (1, "Cheaper berries in my own group, add me on WeChat berry888 for a discount!!!")
HIDDEN_REASON = "Advertises another group; not a review of the berries."
#: what each reviewer's review becomes, in turn, and whether it comes with a photo
FATES = [("approved", True), ("approved", False), ("pending", False), ("approved", True), ("hidden", False),
         ("approved", False), ("pending", False)]
FRIENDS = [("Sophie 黄", timedelta(days=40), timedelta(days=5)),  # an account of long standing: paid out
           ("Kevin 马", timedelta(hours=5), timedelta(hours=4, minutes=50))]  # made the day it joined: held


def seed_growth(lin: User, fruit: Community, member: User, rng: random.Random,
                new_user: Callable[[str, str], User]) -> None:
    """``new_user(email, display_name)`` makes a demo account (the demo's shared password)."""
    from referral import campaigns, draws, program

    now = clock.now()
    with clock.frozen(now - timedelta(days=10)):
        campaigns.start_campaign(lin, fruit, name="Blueberry season reviews", reward="5.00", min_text_length=20,
                                 approval="shopkeeper")
        program.save_program(lin, fruit, inviter_reward=1000, friend_reward=500, monthly_cap=5, hold_hours=48,
                             active=True)
    with clock.frozen(now - timedelta(days=7)):
        thanks = draws.create_draw(lin, fruit, title="Thank-you draw for our reviewers", prize_credit=800,
                                   eligibility="reviewed_since", since=now - timedelta(days=7), winners=3,
                                   draw_at=now - timedelta(minutes=15))
    _review_blueberries(lin, fruit, member, rng, now)
    with clock.frozen(now - timedelta(minutes=15)):
        draws.draw(thanks.id)
    mangoes = _pledge_mangoes(fruit, member)
    draws.create_draw(lin, fruit, title="Mango pledgers' draw", prize_item="An extra 2.5 kg box of Hainan mangoes",
                      eligibility="pledged", group_buy_id=mangoes.id, winners=2, draw_at=now + timedelta(days=3))
    _invite_friends(lin, fruit, member, new_user, now)
    db.session.flush()


def blueberry_jpeg(name: str) -> FileStorage:
    """A small blueberry-blue gradient, as the review form uploads a photo."""
    image = Image.new("RGB", (320, 240))
    image.putdata([(40 + x // 8, 50 + y // 6, 120 + x // 4) for y in range(240) for x in range(320)])
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=80)
    buffer.seek(0)
    return FileStorage(buffer, filename=name, content_type="image/jpeg")


def _review_blueberries(lin: User, fruit: Community, member: User, rng: random.Random,
                        now: datetime) -> None:
    """A few more buyers collect their berries, then the buyers review them and Lin goes through the queue."""
    from groupbuy import fulfilment
    from referral import reviews

    group_buy = _group_buy(fruit, "SV-002")
    orders = fulfilment.group_buy_orders(group_buy)
    ready = [order for order in orders if order.status == OrderStatus.READY]
    collecting = [order for order in ready if order.user_id == member.id]
    others = [order for order in ready if order.user_id != member.id]
    wanted = len(FATES) - (len(orders) - len(ready)) - len(collecting)
    collecting += rng.sample(others, max(0, min(wanted, len(others))))
    with clock.frozen(now - timedelta(minutes=100)):
        for order in collecting:
            fulfilment.mark_picked_up(lin, group_buy.id, order.id, fruit)
    picked = [order for order in orders if order.status == OrderStatus.PICKED_UP]
    picked.sort(key=lambda order: (order.user_id != member.id, order.id))  # Mei's review first, if she has one
    texts = rng.sample(REVIEWS, len(REVIEWS))
    written = []
    for minute, (order, (fate, photo)) in enumerate(zip(picked, FATES, strict=False)):
        stars, text = ADVERT if fate == "hidden" else texts.pop()
        with clock.frozen(now - timedelta(minutes=90 - 4 * minute)):
            review = reviews.submit(order.user, order.lines[0].id, rating=stars, text=text,
                                    photos=[blueberry_jpeg(f"blueberries-{minute}.jpg")] if photo else [])
        written.append((review, fate))
    with clock.frozen(now - timedelta(minutes=45)):
        for review, fate in written:
            if fate == "approved":
                reviews.approve(lin, review.id)
            elif fate == "hidden":
                reviews.hide(lin, review.id, HIDDEN_REASON)


def _group_buy(community: Community, sku: str) -> GroupBuy:
    return db.session.execute(sa.select(GroupBuy).join(Offer, Offer.id == GroupBuy.offer_id).join(
        Variant, Variant.id == Offer.variant_id).where(GroupBuy.community_id == community.id,
                                                       Variant.sku == sku)).scalar_one()


def _pledge_mangoes(fruit: Community, member: User) -> GroupBuy:
    """Mei's box of mangoes (unless she pledged already): her credit pays toward its balance at close."""
    from groupbuy.pledges import pledge

    mangoes = _group_buy(fruit, "SV-001")
    pledged = db.session.execute(sa.select(Pledge.id).where(Pledge.group_buy_id == mangoes.id,
                                                            Pledge.user_id == member.id)).first()
    if pledged is None:
        point = db.session.execute(sa.select(Membership.pickup_point_id).where(
            Membership.community_id == fruit.id, Membership.user_id == member.id)).scalar_one()
        pledge(member, mangoes.id, quantity=1, pickup_point_id=point or fruit.pickup_points[0].id)
    return mangoes


def _invite_friends(lin: User, fruit: Community, member: User, new_user: Callable[[str, str], User],
                    now: datetime) -> None:
    """Mei's friends join through her link and collect a first order: a box from the apples drop, reserved,
    paid in cash at pickup (Lin confirms it) and collected — which decides each referral
    (``referral.invites``)."""
    from launches import holds
    from launches.models import Launch, LaunchMode
    from orders.fulfilment import advance_order
    from payments.models import Payment
    from payments.services import mark_paid_offline
    from referral import invites
    from shopkeeper import invites as community_invites

    domain = member.email.rpartition("@")[2]
    apples = db.session.execute(sa.select(Launch.id).join(Variant, Variant.id == Launch.variant_id).where(
        Variant.sku == "SV-003", Launch.mode == LaunchMode.FIRST_COME)).scalar_one()
    link = invites.personal_link(member, fruit)
    friends = []
    for number, (name, account_age, member_for) in enumerate(FRIENDS, 1):
        with clock.frozen(now - account_age):
            friend = new_user(f"friend{number}@{domain}", name)
            db.session.flush()
        with clock.frozen(now - member_for):
            community_invites.join(friend, link.token, pickup_point_id=fruit.pickup_points[0].id)
        friends.append(friend)
    for minutes, friend in zip((50, 45), friends, strict=True):
        with clock.frozen(now - timedelta(minutes=minutes)):
            hold = holds.reserve(friend, apples, 1, fruit)
            holds.pay_offline(friend, apples, hold.id)
        with clock.frozen(now - timedelta(minutes=minutes - 20)):
            order = db.session.get(Order, hold.order_id)
            payment = db.session.execute(sa.select(Payment).where(Payment.order_id == order.id)).scalar_one()
            mark_paid_offline(fruit.owner_id == lin.id, payment.id)  # Lin takes the cash
            advance_order(order, OrderStatus.READY)
            advance_order(order, OrderStatus.PICKED_UP)
