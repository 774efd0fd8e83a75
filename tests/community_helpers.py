"""Factories for the communities tests: pickup points and invites (the shared ones are in factories.py)."""

from __future__ import annotations

from datetime import datetime

from core import clock
from core.extensions import db
from tests.factories import unique


def make_pickup_point(community, *, name: str | None = None, address: str = "1 Elm Street", region: str = "Xuhui",
                      opening_hours: str = "Mon–Fri 17:00–20:00", active: bool = True):
    from shopkeeper.models import PickupPoint

    point = PickupPoint(community_id=community.id, name=name or unique("Corner shop "), address=address,
                        region=region, opening_hours=opening_hours, active=active)
    db.session.add(point)
    db.session.commit()
    return point


def make_invite(community, *, label: str = "", expires_at: datetime | None = None, max_uses: int | None = None,
                revoked: bool = False):
    from shopkeeper.models import Invite

    invite = Invite(community_id=community.id, created_by_id=community.owner_id, token=unique("token-"),
                    label=label, expires_at=expires_at, max_uses=max_uses, use_count=0,
                    revoked_at=clock.now() if revoked else None)
    db.session.add(invite)
    db.session.commit()
    return invite


def membership(community, user):
    from shopkeeper.models import Membership

    db.session.expire_all()
    return db.session.execute(
        db.select(Membership).filter_by(community_id=community.id, user_id=user.id)).scalar_one_or_none()


def page_text(response) -> str:
    return response.get_data(as_text=True)
