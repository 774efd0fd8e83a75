"""Helpers for the communities tests (the factories are in factories.py)."""

from __future__ import annotations

from core.extensions import db


def membership(community, user):
    from shopkeeper.models import Membership

    db.session.expire_all()
    return db.session.execute(
        db.select(Membership).filter_by(community_id=community.id, user_id=user.id)).scalar_one_or_none()


def page_text(response) -> str:
    return response.get_data(as_text=True)
