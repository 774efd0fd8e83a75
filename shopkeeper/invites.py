"""Invite links and joining: a community is entered only through an invite that is still valid."""

from __future__ import annotations

import enum
import secrets
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from accounts.models import User
from core import clock
from core.errors import Conflict, DomainError, NotFound
from core.extensions import db
from shopkeeper.access import membership_of, require_member, require_shopkeeper
from shopkeeper.models import Community, Invite, Membership, MembershipRole
from shopkeeper.services import active_pickup_point
from shopkeeper.validation import MAX_INVITE_USES, TOKEN_RE, clean_text

LABEL_MAX = 80


class InviteState(enum.StrEnum):
    ACTIVE = "active"
    REVOKED = "revoked"
    EXPIRED = "expired"
    USED_UP = "used_up"


class InviteRefused(DomainError):
    """The invite exists but can no longer be used: 410 Gone, with the reason in ``code``."""

    status = 410


_REFUSALS = {
    InviteState.REVOKED: ("invite_revoked", _l("This invite link was withdrawn by the shopkeeper. "
                                               "Ask them for a new one.")),
    InviteState.EXPIRED: ("invite_expired", _l("This invite link has expired. Ask the shopkeeper for a new one.")),
    InviteState.USED_UP: ("invite_used_up", _l("This invite link has been used as many times as it allows. "
                                               "Ask the shopkeeper for a new one.")),
}


def invite_state(invite: Invite) -> InviteState:
    """What the invite is now, by ``core.clock`` (revocation outranks expiry, which outranks use)."""
    if invite.revoked_at is not None:
        return InviteState.REVOKED
    if invite.is_expired():
        return InviteState.EXPIRED
    if invite.is_used_up():
        return InviteState.USED_UP
    return InviteState.ACTIVE


def refusal(invite: Invite) -> InviteRefused | None:
    """The error that joining through ``invite`` would raise now, or None when it is usable."""
    state = invite_state(invite)
    if state == InviteState.ACTIVE:
        return None
    code, message = _REFUSALS[state]
    return InviteRefused(code, message)


def create_invite(user: User, community: Community, *, label: str = "", expires_at: datetime | None = None,
                  max_uses: int | None = None) -> Invite:
    """A new invite link for ``community`` (only its shopkeeper may). Raises ``too_long`` (label),
    ``expiry_in_past``, ``bad_max_uses``."""
    require_shopkeeper(user, community)
    label = clean_text(label) or ""
    if len(label) > LABEL_MAX:
        raise DomainError("too_long", _l("Keep the label under %(n)s characters.", n=LABEL_MAX), field="label")
    if expires_at is not None:
        if expires_at.tzinfo is None:
            raise DomainError("naive_time", _l("Give the expiry with its time zone."), field="expires_at")
        if expires_at <= clock.now():
            raise DomainError("expiry_in_past", _l("The expiry must be in the future."), field="expires_at")
    if max_uses is not None and not 1 <= max_uses <= MAX_INVITE_USES:
        raise DomainError("bad_max_uses", _l("Allow between 1 and %(n)s uses, or leave it empty for no limit.",
                                             n=MAX_INVITE_USES), field="max_uses")
    invite = Invite(community_id=community.id, created_by_id=user.id, token=secrets.token_urlsafe(16),
                    label=label, expires_at=expires_at, max_uses=max_uses, use_count=0)
    db.session.add(invite)
    db.session.flush()
    return invite


def list_invites(user: User, community: Community) -> list[Invite]:
    """All of the community's invites, newest first, for its shopkeeper."""
    require_shopkeeper(user, community)
    return list(db.session.execute(
        sa.select(Invite).where(Invite.community_id == community.id).order_by(Invite.id.desc())
    ).scalars())


def revoke_invite(user: User, invite_id: int, community: Community | None = None) -> Invite:
    """Withdraw an invite (of ``community``, when given): nobody joins through it any more (members who
    did stay). Revoking twice keeps the first time. Raises ``not_found`` (404) for anyone outside its
    community, ``forbidden`` (403) for its members who are not the shopkeeper."""
    invite = db.session.get(Invite, invite_id)
    if invite is None or (community is not None and invite.community_id != community.id):
        raise NotFound()
    require_shopkeeper(user, invite.community)
    if invite.revoked_at is None:
        invite.revoked_at = clock.now()
        db.session.flush()
    return invite


def invite_by_token(token: str) -> Invite:
    """The invite behind a link, whatever its state. Raises ``not_found``."""
    invite = db.session.execute(sa.select(Invite).where(Invite.token == token)).scalar_one_or_none() if (
        TOKEN_RE.match(token or "")) else None
    if invite is None:
        raise NotFound(_l("This invite link does not exist. Check that you copied all of it."))
    return invite


@dataclass(frozen=True)
class Joined:
    membership: Membership
    is_new: bool  #: False when the user was a member already (nothing was written)


def _claim_use(invite: Invite) -> bool:
    """Count one use in a single conditional UPDATE, so that concurrent joins never pass max_uses:
    the row lock makes a second joiner wait and then re-check the condition."""
    result = db.session.execute(
        sa.update(Invite)
        .where(Invite.id == invite.id, Invite.revoked_at.is_(None),
               sa.or_(Invite.expires_at.is_(None), Invite.expires_at > clock.now()),
               sa.or_(Invite.max_uses.is_(None), Invite.use_count < Invite.max_uses))
        .values(use_count=Invite.use_count + 1)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def join(user: User, token: str, *, pickup_point_id: int | None = None) -> Joined:
    """``user`` joins the invite's community as a member, optionally choosing a pickup point, and the
    invite counts one use. Already a member: nothing changes. Raises ``not_found``, ``invite_revoked``,
    ``invite_expired``, ``invite_used_up`` (410) or ``bad_pickup_point``; a refusal writes nothing."""
    invite = invite_by_token(token)
    community = invite.community
    existing = membership_of(user, community)
    if existing is not None:
        return Joined(existing, False)
    if (refused := refusal(invite)) is not None:
        raise refused
    point = active_pickup_point(community, pickup_point_id)
    try:
        with db.session.begin_nested():
            if not _claim_use(invite):
                db.session.refresh(invite)
                raise refusal(invite) or InviteRefused(*_REFUSALS[InviteState.USED_UP])
            membership = Membership(community_id=community.id, user_id=user.id, role=MembershipRole.MEMBER,
                                    joined_at=clock.now(), invite_id=invite.id,
                                    pickup_point_id=point.id if point else None)
            db.session.add(membership)
            db.session.flush()
    except IntegrityError:
        # The same person joined at the same moment in another request: theirs counts, ours is undone.
        return Joined(require_member(user, community), False)
    db.session.refresh(invite)
    return Joined(membership, True)


def leave(user: User, community: Community) -> None:
    """``user`` leaves: their membership and tags go, their posts stay. The owner cannot leave the
    community they run. Raises ``not_found`` (not a member), ``owner_cannot_leave`` (409)."""
    membership = require_member(user, community)
    if community.owner_id == user.id:
        raise Conflict("owner_cannot_leave", _l("You run this community, so you cannot leave it."))
    db.session.delete(membership)
    db.session.flush()
