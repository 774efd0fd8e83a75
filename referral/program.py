"""A community's invite rewards, set by its shopkeeper: one ``ReferralProgram`` per community, created on
first save and updated after. Nothing here commits."""

from __future__ import annotations

import sqlalchemy as sa

from accounts.models import User
from core.extensions import db
from referral.models import ReferralProgram
from shopkeeper.access import require_shopkeeper
from shopkeeper.models import Community
from shopkeeper.validation import whole_number

MAX_REWARD = 10_000_00  #: minor units
MAX_CAP = 1000
MAX_HOLD_HOURS = 30 * 24


def save_program(user: User, community: Community, *, inviter_reward, friend_reward, monthly_cap, hold_hours,
                 active: bool) -> ReferralProgram:
    """Create or update the community's program (rewards in minor units). Raises 404/403 (not its
    shopkeeper) and 422 ``out_of_range`` on the field at fault; nothing is written unless all are right."""
    require_shopkeeper(user, community)
    values = {"inviter_reward": whole_number(inviter_reward, "inviter_reward", 0, MAX_REWARD),
              "friend_reward": whole_number(friend_reward, "friend_reward", 0, MAX_REWARD),
              "monthly_cap": whole_number(monthly_cap, "monthly_cap", 0, MAX_CAP),
              "hold_hours": whole_number(hold_hours, "hold_hours", 1, MAX_HOLD_HOURS),
              "active": bool(active)}
    program = community_program(community)
    if program is None:
        program = ReferralProgram(community_id=community.id)
        db.session.add(program)
    for name, value in values.items():
        setattr(program, name, value)
    db.session.flush()
    return program


def community_program(community: Community) -> ReferralProgram | None:
    """The community's program, active or not."""
    return db.session.execute(sa.select(ReferralProgram).filter_by(community_id=community.id)).scalar_one_or_none()
