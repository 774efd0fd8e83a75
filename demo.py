"""``flask seed-demo``: a living Tuan to click through — a supplier with a catalog, two shopkeepers,
three communities with pickup points, 300 tagged members, posts, comments, reactions and messages.
Deterministic (seeded random) and idempotent: a second run only prints the logins."""

from __future__ import annotations

import random
from datetime import timedelta

import click
import sqlalchemy as sa
from flask import Flask

from accounts.models import Role, User, UserRole
from accounts.services import hash_password
from core import clock
from core.db import commit
from core.extensions import db
from demo_growth import seed_growth
from demo_launches import seed_launches
from demo_subscriptions import seed_subscriptions
from shopkeeper.models import (
    Comment,
    Community,
    Invite,
    Membership,
    MembershipRole,
    MemberTag,
    Message,
    PickupPoint,
    Post,
    Reaction,
    ReactionKind,
    Thread,
)
from supplier.models import Product, Supplier, SupplierStaff, Tag, Variant

PASSWORD = "tuan-demo"
DOMAIN = "tuan.local"

SURNAMES = list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高")
GIVEN = list("伟芳娜敏静丽强磊洋艳勇军杰娟涛明超秀霞平婷雪慧晨")
ENGLISH = [
    "Amy", "Ben", "Chloe", "Daniel", "Emma", "Felix", "Grace", "Henry", "Iris", "Jack", "Kate", "Leo", "Mia",
    "Noah", "Olivia", "Peter", "Queenie", "Ryan", "Sophie", "Tom", "Una", "Victor", "Wendy", "Xavier", "Yvonne",
    "Zoe"
]

CATALOG = [
    # name, description, unit, case pack, wholesale, retail (fen), lead days, tags
    ("Hainan Tainong mangoes", "Tree-ripened, shipped green to ripen on the way.", "2.5 kg box", 8, 3900, 5900, 4,
     ["taste:sweet"]),
    ("Yunnan blueberries", "Large berries from high-altitude farms.", "4 × 125 g", 12, 4200, 6800, 2,
     ["diet:low-sugar", "age:kids"]),
    ("Aksu rock-sugar apples", "Crisp Xinjiang apples with a sugar core.", "5 kg box", 4, 4500, 6900, 6,
     ["taste:sweet", "age:senior"]),
    ("Organic baby spinach", "Washed, ready to eat.", "300 g bag", 20, 900, 1500, 1, ["diet:vegetarian"]),
    ("Camellia seed face oil", "Cold-pressed, for dry and sensitive skin.", "30 ml bottle", 24, 5800, 12800, 10,
     ["skin:dry", "skin:sensitive"]),
    ("Green tea clay mask", "Balances oily and combination skin.", "100 g jar", 24, 3200, 6900, 10,
     ["skin:oily", "skin:combination"]),
    ("Bamboo storage boxes", "Stackable set of three.", "set", 10, 4900, 8900, 14, ["home:budget"]),
    ("Ru-ware ceramic vase", "Hand-glazed celadon vase.", "piece", 6, 16800, 29900, 21, ["home:design"]),
]

COMMUNITIES = [
    # owner key, name, slug, description, pickup points (name, address, region, hours)
    ("lin", "Lin's Fruit Club", "lin-fruit", "Seasonal fruit, picked ripe, shared among neighbours.",
     [("Xuhui clubhouse", "88 Tianyaoqiao Rd, Xuhui, Shanghai", "Xuhui", "Mon–Sat 17:00–20:00"),
      ("Jing'an lobby", "1 Yan'an Middle Rd, Jing'an, Shanghai", "Jing'an", "Daily 08:00–21:00")]),
    ("lin", "Lin's Skin Circle", "lin-skin", "Honest skincare advice and group buys for every skin type.",
     [("Xuhui clubhouse", "88 Tianyaoqiao Rd, Xuhui, Shanghai", "Xuhui", "Mon–Sat 17:00–20:00")]),
    ("zhou", "Zhou's Home & Garden", "zhou-home", "Beautiful, useful things for small homes.",
     [("Pudong studio", "200 Century Ave, Pudong, Shanghai", "Pudong", "Wed–Sun 10:00–18:00"),
      ("Minhang shop", "35 Qixin Rd, Minhang, Shanghai", "Minhang", "Daily 10:00–19:00")]),
]

POSTS = {
    "lin-fruit": ["Mango season is here! Our Hainan mangoes ship next week — reply if you want a box.",
                  "Blueberries from Yunnan: the kids' favourite. Pickup on Saturday at the clubhouse.",
                  "How to ripen mangoes at home: keep them in a paper bag at room temperature."],
    "lin-skin": ["Dry skin in winter? Camellia oil, two drops after cleansing, works wonders.",
                 "Clay masks: once a week is plenty for oily skin. Tell me your skin type!"],
    "zhou-home": ["New celadon vases arrived — each glaze is unique.",
                  "Small flat? Bamboo boxes stack under the bed. Group buy opens soon."],
}


def _name(rng: random.Random) -> str:
    if rng.random() < 0.7:
        return rng.choice(SURNAMES) + rng.choice(GIVEN) + (rng.choice(GIVEN) if rng.random() < 0.5 else "")
    return f"{rng.choice(ENGLISH)} {rng.choice(SURNAMES)}"


def _user(email: str, name: str, password_hash: str, roles=()) -> User:
    user = User(email=email, display_name=name, password_hash=password_hash)
    user.roles = [UserRole(role=role) for role in roles]
    db.session.add(user)
    return user


def _tags() -> dict[str, Tag]:
    from supplier.taxonomy import ensure_standard_taxonomy

    ensure_standard_taxonomy()
    return {tag.code: tag for tag in db.session.execute(sa.select(Tag)).scalars()}


def seed_demo(members: int = 300, seed: int = 42) -> dict:
    """Create the demo world. Returns the logins and invite tokens."""
    rng = random.Random(seed)
    now = clock.now()
    password_hash = hash_password(PASSWORD)  # one hash for every demo account keeps seeding fast
    tags = _tags()

    operator = _user(f"operator@{DOMAIN}", "Platform Operator", password_hash, [Role.OPERATOR])
    staff = _user(f"supplier@{DOMAIN}", "Orchard Staff", password_hash, [Role.SUPPLIER])
    owners = {"lin": _user(f"lin@{DOMAIN}", "林小姐 Lin", password_hash, [Role.SHOPKEEPER]),
              "zhou": _user(f"zhou@{DOMAIN}", "周先生 Zhou", password_hash, [Role.SHOPKEEPER])}
    supplier = Supplier(name="Sunny Valley Co-op", slug="sunny-valley", currency="CNY",
                        description="Farms and workshops selling direct to communities.")
    db.session.add(supplier)
    db.session.flush()
    supplier.staff.append(SupplierStaff(user_id=staff.id))
    for index, (name, description, unit, pack, wholesale, retail, lead, codes) in enumerate(CATALOG, 1):
        product = Product(supplier_id=supplier.id, name=name, description=description)
        product.tags = [tags[code] for code in codes if code in tags]
        product.variants.append(Variant(supplier_id=supplier.id, sku=f"SV-{index:03d}", name="Standard", unit=unit,
                                        case_pack=pack, wholesale_price=wholesale, retail_price=retail,
                                        currency="CNY", lead_time_days=lead))
        db.session.add(product)

    communities = []
    for owner_key, name, slug, description, points in COMMUNITIES:
        community = Community(owner_id=owners[owner_key].id, name=name, slug=slug, description=description,
                              currency="CNY", timezone="Asia/Shanghai")
        community.pickup_points = [PickupPoint(name=p, address=a, region=r, opening_hours=h) for p, a, r, h in points]
        db.session.add(community)
        db.session.flush()
        db.session.add(Membership(community_id=community.id, user_id=owners[owner_key].id,
                                  role=MembershipRole.SHOPKEEPER, joined_at=now - timedelta(days=120)))
        db.session.add(Invite(community_id=community.id, token=f"demo-{slug}", created_by_id=owners[owner_key].id,
                              label="Demo invite"))
        communities.append(community)

    member = _user(f"member@{DOMAIN}", "陈小美 Mei", password_hash)
    people = [member] + [_user(f"member{n}@{DOMAIN}", _name(rng), password_hash) for n in range(1, members)]
    db.session.flush()
    tag_list = list(tags.values())
    memberships: dict[int, list[Membership]] = {c.id: [] for c in communities}
    for position, person in enumerate(people):
        chosen = communities[:2] if person is member else rng.sample(communities, rng.choice([1, 1, 2]))
        for community in chosen:
            membership = Membership(community_id=community.id, user_id=person.id,
                                    joined_at=now - timedelta(days=rng.randint(0, 90), minutes=position),
                                    pickup_point_id=rng.choice(community.pickup_points).id)
            picked = rng.sample(tag_list, rng.choice([0, 1, 1, 2, 3]))
            if person is member:
                picked = [tags[c] for c in ("skin:dry", "taste:sweet") if c in tags]
            membership.tags = [MemberTag(tag_id=t.id, set_by_shopkeeper=rng.random() < 0.5) for t in picked]
            db.session.add(membership)
            memberships[community.id].append(membership)
    db.session.flush()

    for community in communities:
        owner_id = community.owner_id
        for age, body in enumerate(POSTS[community.slug]):
            post = Post(community_id=community.id, author_id=owner_id, body=body, pinned=age == 0,
                        created_at=now - timedelta(days=age * 3 + 1))
            db.session.add(post)
            db.session.flush()
            readers = rng.sample(memberships[community.id], min(6, len(memberships[community.id])))
            for reader in readers[:3]:
                db.session.add(Comment(post_id=post.id, author_id=reader.user_id,
                                       body=rng.choice(["I want one!", "想要一箱！", "Count me in.",
                                                        "Saturday pickup works for me.", "好期待！"])))
            for reader in readers:
                db.session.add(Reaction(post_id=post.id, user_id=reader.user_id,
                                        kind=rng.choice(list(ReactionKind))))
        writers = [m for m in memberships[community.id] if m.user_id == member.id]
        writers += rng.sample(memberships[community.id], min(4, len(memberships[community.id])))
        for writer in {m.user_id: m for m in writers}.values():
            moment = now - timedelta(hours=rng.randint(1, 48))
            thread = Thread(community_id=community.id, member_id=writer.user_id, last_message_at=moment)
            db.session.add(thread)
            db.session.flush()
            db.session.add(Message(thread_id=thread.id, sender_id=writer.user_id, created_at=moment,
                                   body="Hello! Which pickup point is closer to Xuhui metro?"))
            db.session.add(Message(thread_id=thread.id, sender_id=owner_id, read_at=None,
                                   created_at=moment + timedelta(minutes=5),
                                   body="The Xuhui clubhouse — two minutes from exit 3. See you there!"))
    db.session.flush()
    _seed_group_buy(staff, owners["lin"], communities[0], memberships[communities[0].id], rng)
    _seed_delivered_group_buy(staff, [(owners[key], community, memberships[community.id])
                                      for key, community in (("lin", communities[0]), ("zhou", communities[-1]))], rng)
    seed_launches(owners, {community.slug: community for community in communities}, memberships, rng)
    seed_subscriptions(owners["lin"], communities[0], memberships[communities[0].id], member, rng)
    seed_growth(owners["lin"], communities[0], member, rng, lambda email, name: _user(email, name, password_hash))
    return {"operator": operator.email, "supplier": staff.email, "shopkeepers": [o.email for o in owners.values()],
            "member": member.email, "invites": [f"demo-{c.slug}" for c in communities]}


def _seed_group_buy(staff: User, shopkeeper: User, community: Community, members: list[Membership],
                    rng: random.Random) -> None:
    """An open offer on the mangoes with three tiers, and Lin's group buy on it with a few dozen pledges,
    made through the same services the pages use."""
    from groupbuy.models import MarginKind
    from groupbuy.pledges import pledge
    from groupbuy.services import create_group_buy
    from supplier.offers import create_offer, publish_offer

    now = clock.now()
    mangoes = db.session.execute(sa.select(Variant).where(Variant.sku == "SV-001")).scalar_one()
    offer = create_offer(staff, mangoes.id, moq=40, capacity=400, opens_at=now - timedelta(hours=1),
                         closes_at=now + timedelta(days=6), tiers=[(1, 3900), (60, 3500), (120, 3200)])
    publish_offer(staff, offer.id)
    group_buy = create_group_buy(
        shopkeeper, community, offer_id=offer.id, title="Hainan mangoes, tree-ripened",
        margin_kind=MarginKind.PERCENT, margin="20", deadline=now + timedelta(days=5),
        pickup_point_ids=[point.id for point in community.pickup_points], deposit_percent=0,
        description="Shipped green, ripe on arrival. The more we order, the less everyone pays.")
    db.session.flush()
    for membership in rng.sample(members, min(24, len(members))):
        pledge(membership.user, group_buy.id, quantity=rng.choice([1, 1, 2, 2, 3]),
               pickup_point_id=membership.pickup_point_id or community.pickup_points[0].id,
               tolerance=rng.choice([0, 0, 1, 2]))


def _seed_delivered_group_buy(staff: User, runs: list[tuple[User, Community, list[Membership]]],
                              rng: random.Random) -> None:
    """Last week's blueberries, pooled across two communities: closed and ordered, confirmed and shipped by
    the supplier, received and opened for pickup by the shopkeepers, some already collected — made through
    the services the pages use, at the moments they would have happened (the clock is set back for each)."""
    from groupbuy import fulfilment
    from groupbuy.closing import close_offer
    from groupbuy.models import MarginKind
    from groupbuy.pledges import pledge
    from groupbuy.services import create_group_buy
    from orders.fulfilment import confirm_purchase_order, ship_purchase_order
    from supplier.offers import create_offer, publish_offer

    now = clock.now()
    start = now - timedelta(days=8)
    blueberries = db.session.execute(sa.select(Variant).where(Variant.sku == "SV-002")).scalar_one()
    with clock.frozen(start):  # the clock is put back as it was afterwards
        offer = create_offer(staff, blueberries.id, moq=24, capacity=None, opens_at=start,
                             closes_at=start + timedelta(days=5), tiers=[(1, 4200), (36, 3900), (72, 3600)])
        publish_offer(staff, offer.id)
        group_buys = []
        for shopkeeper, community, members in runs:
            group_buy = create_group_buy(
                shopkeeper, community, offer_id=offer.id, title="Yunnan blueberries",
                margin_kind=MarginKind.FIXED, margin="8.00", deadline=offer.closes_at,
                pickup_point_ids=[point.id for point in community.pickup_points], deposit_percent=0,
                description="Picked and flown in the same week.")
            db.session.flush()
            group_buys.append((shopkeeper, community, group_buy))
            for membership in rng.sample(members, min(14, len(members))):
                pledge(membership.user, group_buy.id, quantity=rng.choice([2, 3, 4, 6]),
                       pickup_point_id=membership.pickup_point_id or community.pickup_points[0].id,
                       tolerance=rng.choice([0, 2, 4]))
        clock.freeze(offer.closes_at + timedelta(minutes=1))
        purchase_order_id = close_offer(offer.id).purchase_order_id
        clock.freeze(start + timedelta(days=6))
        confirm_purchase_order(staff, purchase_order_id)
        ship_purchase_order(staff, purchase_order_id)
        clock.freeze(now - timedelta(hours=20))
        for shopkeeper, community, group_buy in group_buys:
            fulfilment.receive(shopkeeper, group_buy.id, community)
            fulfilment.mark_ready(shopkeeper, group_buy.id, community)
        clock.freeze(now - timedelta(hours=2))
        for shopkeeper, community, group_buy in group_buys:
            for order in fulfilment.group_buy_orders(group_buy)[::3]:
                fulfilment.mark_picked_up(shopkeeper, group_buy.id, order.id, community)


def demo_exists() -> bool:
    return db.session.execute(sa.select(User.id).where(User.email == f"operator@{DOMAIN}")).first() is not None


def register_demo_cli(app: Flask) -> None:
    @app.cli.command("seed-demo")
    @click.option("--members", default=300, show_default=True, help="How many members to create.")
    def seed_demo_command(members: int) -> None:
        """Create the demo world (once) and print the logins."""
        if demo_exists():
            click.echo("The demo is already seeded.")
        else:
            seed_demo(members=members)
            commit()
            click.echo(f"Seeded the demo: {members} members, 3 communities, a supplier with a catalog.")
        click.echo(f"\nDemo logins (password: {PASSWORD}):")
        for role, email in (("operator", f"operator@{DOMAIN}"), ("supplier", f"supplier@{DOMAIN}"),
                            ("shopkeeper", f"lin@{DOMAIN}"), ("shopkeeper", f"zhou@{DOMAIN}"),
                            ("member", f"member@{DOMAIN}")):
            click.echo(f"  {role:<11} {email}")
        click.echo("Invite links: " + ", ".join(f"/join/demo-{c[2]}" for c in COMMUNITIES))
