"""Factories for first-come drops: a published launch made with the model (the launches work owns its
services), and holds through ``launches.holds``. Each commits, as a real request would."""

from __future__ import annotations

from datetime import timedelta

from core import clock
from core.extensions import db
from tests.factories import add_member, make_community, make_product, make_supplier


def make_launch(community=None, *, stock: int = 20, per_member_limit: int = 1, price: int = 9900,
                opens_in: timedelta = timedelta(minutes=-1), closes_in: timedelta | None = None,
                status: str = "published", mode: str = "first_come", checkout_minutes: int = 10,
                claim_minutes: int = 60, title: str = "Limited tea tin"):
    """A launch in ``community`` (a new one by default), open since a minute ago unless told otherwise."""
    from launches.models import Launch, LaunchMode, LaunchStatus

    community = community or make_community()
    variant = make_product(make_supplier()).variants[0]
    now = clock.now()
    launch = Launch(created_by_id=community.owner_id, variant_id=variant.id, title=title, teaser="", price=price,
                    currency="CNY", stock=stock, sold=0, held=0, per_member_limit=per_member_limit,
                    opens_at=now + opens_in, closes_at=now + closes_in if closes_in is not None else None,
                    mode=LaunchMode(mode), status=LaunchStatus(status), checkout_minutes=checkout_minutes,
                    claim_minutes=claim_minutes)
    launch.communities = [community]
    db.session.add(launch)
    db.session.commit()
    return launch


def make_hold(launch, user=None, *, quantity: int = 1):
    """``user`` (a new member of the launch's first community by default) reserves ``quantity`` units."""
    from launches import holds

    user = user or add_member(launch.communities[0])
    hold = holds.reserve(user, launch.id, quantity)
    db.session.commit()
    return hold
