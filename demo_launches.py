"""The demo's launches (``demo.seed_demo`` calls ``seed_launches``), made through the services the pages use:

- Zhou's numbered celadon vases: announced, the first stage revealed, the price stage and the opening
  still to come — a page that shows what waiting for a drop looks like;
- Lin's first-harvest apples: a first-come drop open since an hour ago, some units reserved and bought;
- Lin's camellia oil: a raffle taking entries until the day after tomorrow, with a published commitment.

On PostgreSQL a reserve commits on a connection of its own (``launches.stock.reserve_at_once``), so the
launches are committed before anyone reserves."""

from __future__ import annotations

import random
from datetime import timedelta

import sqlalchemy as sa

from accounts.models import User
from core import clock
from core.extensions import db
from shopkeeper.models import Community, Membership
from supplier.models import Variant


def _variant(sku: str) -> int:
    return db.session.execute(sa.select(Variant.id).where(Variant.sku == sku)).scalar_one()


def seed_launches(owners: dict[str, User], communities: dict[str, Community],
                  members: dict[int, list[Membership]], rng: random.Random) -> None:
    from launches import holds, raffle, services

    now = clock.now()
    zhou, lin = owners["zhou"], owners["lin"]
    home, fruit, skin = communities["zhou-home"], communities["lin-fruit"], communities["lin-skin"]

    with clock.frozen(now - timedelta(days=3)):
        vases = services.create_launch(
            zhou, home, variant_id=_variant("SV-008"), title="Ru-ware celadon vase, 30 numbered pieces",
            teaser="Master Chen's last firing of the year. Each vase is signed and numbered.",
            price=29900, stock=30, per_member_limit=1, opens_at=now + timedelta(days=2, hours=3))
        services.add_stage(zhou, vases.id, reveal_at=now - timedelta(days=1), title="The glaze",
                           body="A sky-after-rain celadon with a fine crackle, fired for 36 hours.",
                           specs="Height: 24 cm\nGlaze: celadon, crackle")
        services.add_stage(zhou, vases.id, reveal_at=now + timedelta(days=1), title="The price",
                           body="Members' price for the first firing.", price=26900)
        services.publish(zhou, vases.id)

    with clock.frozen(now - timedelta(days=2)):
        apples = services.create_launch(
            lin, fruit, variant_id=_variant("SV-003"), title="Aksu apples, first harvest",
            teaser="The first 20 boxes of the season, picked the morning they ship.",
            price=6900, stock=20, per_member_limit=2, opens_at=now - timedelta(hours=1),
            checkout_minutes=15)
        services.add_stage(lin, apples.id, reveal_at=now - timedelta(days=1), title="From the orchard",
                           body="Rock-sugar cores this year: a cold September made them sweet.")
        services.publish(lin, apples.id)
        oil = services.create_launch(
            lin, skin, variant_id=_variant("SV-005"), title="Camellia oil, limited pressing",
            teaser="Fifteen bottles from a small cold pressing. Enter the draw; winners are picked fairly.",
            price=9900, stock=15, per_member_limit=1, mode="raffle", opens_at=now - timedelta(hours=20),
            closes_at=now + timedelta(days=2))
        services.publish(lin, oil.id)
    db.session.commit()

    buyers = rng.sample(members[fruit.id], min(8, len(members[fruit.id])))
    for position, membership in enumerate(buyers):
        hold = holds.reserve(membership.user, apples.id, rng.choice([1, 2]), fruit)
        if position % 2 == 0:
            holds.pay_offline(membership.user, apples.id, hold.id)
    for membership in rng.sample(members[skin.id], min(12, len(members[skin.id]))):
        raffle.enter(membership.user, oil.id, skin)
    db.session.flush()
