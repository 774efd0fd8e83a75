"""The member list as CSV, streamed in batches: a 100,000-member community never sits in memory.
Display names only, never emails (members' personal data stays on the platform)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask_babel import gettext as _

from accounts.models import User
from core.csv_export import FORMULA_STARTS, csv_chunks, safe_cell  # noqa: F401  (the member list's CSV)
from core.extensions import db
from shopkeeper.members import NEWEST_FIRST, matching
from shopkeeper.models import Community, Membership, MemberTag, PickupPoint
from supplier.models import Tag

BATCH = 1000


def _tag_labels(locale: str) -> dict[int, str]:
    """Every tag's label, in taxonomy order (the taxonomy is small; members' tags are many)."""
    tags = db.session.execute(sa.select(Tag).order_by(Tag.namespace, Tag.value)).scalars()
    return {tag.id: tag.label(locale) for tag in tags}


def _tags_by_membership(membership_ids: list[int], labels: dict[int, str]) -> dict[int, str]:
    """The tags of one batch of members, as "label; label" in taxonomy order: plain columns, no ORM objects."""
    order = {tag_id: position for position, tag_id in enumerate(labels)}
    found: dict[int, list[int]] = {}
    for membership_id, tag_id in db.session.execute(
        sa.select(MemberTag.membership_id, MemberTag.tag_id).where(MemberTag.membership_id.in_(membership_ids))
    ).all():
        found.setdefault(membership_id, []).append(tag_id)
    return {membership_id: "; ".join(labels[tag_id] for tag_id in sorted(tag_ids, key=order.__getitem__))
            for membership_id, tag_ids in found.items()}


def member_rows(community: Community, *, q: str | None = None, tag_ids: Iterable[int] = (),
                pickup_point_id: int | None = None, locale: str = "en") -> Iterator[list[list[str]]]:
    """Batches of CSV rows (name, joined in the community's zone, pickup point, tags), the header first,
    for the members matching the member list's filters. The rows come from one streamed query
    (``yield_per``: a server-side cursor on PostgreSQL) plus one tag query per batch.

    What the batches need from the community is read now, while the request is live; the rows are
    read as the response is sent."""
    zone = ZoneInfo(community.timezone)
    points = dict(db.session.execute(
        sa.select(PickupPoint.id, PickupPoint.name).where(PickupPoint.community_id == community.id)).all())
    labels = _tag_labels(locale)
    header = [_("Name"), _("Joined (%(zone)s)", zone=community.timezone), _("Pickup point"), _("Tags")]
    query = matching(
        sa.select(Membership.id, User.display_name, Membership.joined_at, Membership.pickup_point_id)
        .join(User, User.id == Membership.user_id),
        community.id, q=q, tag_ids=tag_ids, pickup_point_id=pickup_point_id, users_joined=True,
    ).order_by(*NEWEST_FIRST).execution_options(yield_per=BATCH)

    def batches() -> Iterator[list[list[str]]]:
        yield [header]
        for batch in db.session.execute(query).partitions():
            tags = _tags_by_membership([row.id for row in batch], labels)
            yield [[row.display_name, row.joined_at.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
                    points.get(row.pickup_point_id, ""), tags.get(row.id, "")] for row in batch]

    return batches()
