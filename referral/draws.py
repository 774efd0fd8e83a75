"""Lucky draws (issue #6): a shopkeeper's prize (store credit or an item) drawn among the community's
members at ``draw_at`` with ``core.fairdraw`` — the same procedure as launches' raffles.

* ``create_draw`` commits to a secret seed at once (only its hash is published) and schedules the draw.
* ``draw`` at or after ``draw_at`` snapshots the eligible members as ``DrawEntry`` rows, ranks their
  entry ids by ``fairdraw.draw_order(seed, ids)``, and the first ``winners`` ranks win: credited (once per
  winner, whatever reruns), told, and announced in the feed with a link to the audit.
* ``audit`` is what anyone may check: the commitment always; the seed, entries and winners once drawn.

Nothing here commits; ``referral.draw_jobs`` does, one draw per unit of work."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from accounts.models import User
from core import clock, fairdraw, jobs, notify
from core.errors import NotFound
from core.extensions import db
from core.templating import money
from groupbuy.models import GroupBuy, Pledge, PledgeStatus
from referral import credit
from referral.models import (
    CreditSource,
    DrawEntry,
    DrawStatus,
    Eligibility,
    LuckyDraw,
    Review,
    ReviewStatus,
)
from shopkeeper.access import require_member, require_shopkeeper
from shopkeeper.models import Community, Membership, MembershipRole, Post
from shopkeeper.validation import refuse, text_field, whole_number

MAX_WINNERS = 1000
#: pledges that still stand: a member who pledged and did not withdraw (or was not dropped)
STANDING_PLEDGES = (PledgeStatus.ACTIVE, PledgeStatus.CONFIRMED)

notify.register("draw_won", _l("You won %(prize)s in the lucky draw %(title)s."),
                _l("You won the lucky draw %(title)s"))


def draw_path(community_slug: str, draw_id: int) -> str:
    return f"/c/{community_slug}/draws/{draw_id}"


def create_draw(user: User, community: Community, *, title, prize_credit=None, prize_item="",
                eligibility="members", since=None, before=None, group_buy_id=None, winners,
                draw_at) -> LuckyDraw:
    """A shopkeeper schedules a lucky draw in their community. Raises 404/403 (not its shopkeeper) and
    422 with the field at fault; nothing is written unless every field is right."""
    require_shopkeeper(user, community)
    title = text_field(title, "title", 120, required=True)
    prize_item = text_field(prize_item, "prize_item", 200, required=False)
    if prize_credit is not None:
        prize_credit = whole_number(prize_credit, "prize_credit", 1)
    if (prize_credit is None) == (not prize_item):
        refuse("one_prize", _l("Give either a store credit prize or an item, not both."), "prize_credit")
    winners = whole_number(winners, "winners", 1, MAX_WINNERS)
    try:
        eligibility = Eligibility(eligibility)
    except ValueError:
        refuse("invalid_choice", _l("Choose who can win."), "eligibility")
    draw_at = _moment(draw_at, "draw_at")
    if draw_at <= clock.now():
        refuse("not_future", _l("The draw must be in the future."), "draw_at")
    since = _moment(since, "since") if eligibility == Eligibility.REVIEWED_SINCE else None
    before = _moment(before, "before") if eligibility == Eligibility.JOINED_BEFORE else None
    if eligibility == Eligibility.PLEDGED:
        group_buy_id = whole_number(group_buy_id, "group_buy_id", 1)
        in_community = db.session.execute(sa.select(GroupBuy.id).where(
            GroupBuy.id == group_buy_id, GroupBuy.community_id == community.id)).first()
        if in_community is None:
            refuse("not_found", _l("No such group buy in this community."), "group_buy_id")
    else:
        group_buy_id = None
    seed = fairdraw.new_seed()
    lucky = LuckyDraw(community_id=community.id, title=title, prize_credit=prize_credit, prize_item=prize_item,
                      eligibility=eligibility, since=since, before=before, group_buy_id=group_buy_id,
                      winners=winners, draw_at=draw_at, status=DrawStatus.SCHEDULED, seed=seed,
                      seed_hash=fairdraw.commitment(seed))
    db.session.add(lucky)
    db.session.flush()
    schedule_draw(lucky)
    return lucky


def _moment(value, field: str) -> datetime:
    if not isinstance(value, datetime):
        refuse("required", _l("This field is required."), field)
    return clock.as_utc(value)


def schedule_draw(lucky: LuckyDraw) -> None:
    """The draw job at ``draw_at`` (the sweeper draws it anyway if the job is lost)."""
    from referral.draw_jobs import draw_job

    at = clock.as_utc(lucky.draw_at)
    jobs.enqueue(draw_job, lucky.id, at=at, job_id=f"lucky-draw-{lucky.id}-{int(at.timestamp())}")


def eligible_user_ids(lucky: LuckyDraw, now: datetime) -> list[int]:
    """The community's members (not its shopkeepers) at ``now`` whom the draw's eligibility admits."""
    query = sa.select(Membership.user_id).where(Membership.community_id == lucky.community_id,
                                                Membership.role == MembershipRole.MEMBER,
                                                Membership.joined_at <= now)
    if lucky.eligibility == Eligibility.REVIEWED_SINCE:
        query = query.where(sa.select(Review.id).where(
            Review.user_id == Membership.user_id, Review.community_id == lucky.community_id,
            Review.status == ReviewStatus.APPROVED, Review.decided_at >= lucky.since,
            Review.decided_at <= now).exists())
    elif lucky.eligibility == Eligibility.JOINED_BEFORE:
        query = query.where(Membership.joined_at < lucky.before)
    elif lucky.eligibility == Eligibility.PLEDGED:
        query = query.where(sa.select(Pledge.id).where(
            Pledge.user_id == Membership.user_id, Pledge.group_buy_id == lucky.group_buy_id,
            Pledge.status.in_(STANDING_PLEDGES)).exists())
    return list(db.session.execute(query.order_by(Membership.user_id)).scalars())


def draw(draw_id: int) -> str:
    """Draw a lucky draw whose time has come. Returns "drawn"; "not_due" before ``draw_at``; "skipped"
    when there is no such draw or it was drawn already. The draw's row is locked first, so a second run,
    or one at the same moment, finds it DRAWN and changes nothing."""
    now = clock.now()
    lucky = db.session.execute(sa.select(LuckyDraw).where(LuckyDraw.id == draw_id).with_for_update()
                               .execution_options(populate_existing=True)).scalar_one_or_none()
    if lucky is None or lucky.status == DrawStatus.DRAWN:
        return "skipped"
    if clock.as_utc(lucky.draw_at) > now:
        return "not_due"
    entries = [DrawEntry(draw_id=lucky.id, user_id=user_id) for user_id in eligible_user_ids(lucky, now)]
    db.session.add_all(entries)
    db.session.flush()
    by_id = {entry.id: entry for entry in entries}
    order = fairdraw.draw_order(lucky.seed, by_id)
    for rank, entry_id in enumerate(order, start=1):
        by_id[entry_id].rank = rank
    lucky.status = DrawStatus.DRAWN
    lucky.drawn_at = now
    db.session.flush()
    won = [by_id[entry_id].user_id for entry_id in order[:lucky.winners]]
    community = db.session.get(Community, lucky.community_id)
    for user_id in won:
        _award(lucky, community, user_id)
    _announce(lucky, community, won)
    return "drawn"


def prize_text(lucky: LuckyDraw, currency: str) -> str:
    return money(lucky.prize_credit, currency) if lucky.prize_credit else lucky.prize_item


def _award(lucky: LuckyDraw, community: Community, user_id: int) -> None:
    if lucky.prize_credit:
        credit.grant(user_id, community.id, lucky.prize_credit, CreditSource.DRAW_PRIZE,
                     f"draw-{lucky.id}-winner-{user_id}", note=lucky.title)
    notify.tell(db.session.get(User, user_id), "draw_won", key=f"draw-won-{lucky.id}",
                link=draw_path(community.slug, lucky.id), title=lucky.title,
                prize=prize_text(lucky, community.currency))


def _announce(lucky: LuckyDraw, community: Community, won: list[int]) -> None:
    """A feed post (as the community's owner): the winners by display name, and where to check the draw."""
    names = _display_names(won)
    if names:
        headline = _("Lucky draw %(title)s: congratulations to %(names)s!", title=lucky.title,
                     names=", ".join(names))
    else:
        headline = _("Lucky draw %(title)s: nobody could enter, so there is no winner.", title=lucky.title)
    check = _("Check the draw: %(link)s", link=draw_path(community.slug, lucky.id))
    db.session.add(Post(community_id=community.id, author_id=community.owner_id, body=f"{headline}\n\n{check}"))
    db.session.flush()


def _display_names(user_ids: list[int]) -> list[str]:
    """In the order given (draw order)."""
    names = dict(db.session.execute(sa.select(User.id, User.display_name).where(User.id.in_(user_ids))).all()) \
        if user_ids else {}
    return [names[user_id] for user_id in user_ids if user_id in names]


def visible_draw(user: User | None, draw_id: int, community: Community) -> LuckyDraw:
    """A draw of ``community`` as its members (shopkeepers included) may see it; 404 for anyone else and for
    another community's draw."""
    require_member(user, community)
    lucky = db.session.execute(sa.select(LuckyDraw).where(LuckyDraw.id == draw_id,
                                                          LuckyDraw.community_id == community.id)).scalar_one_or_none()
    if lucky is None:
        raise NotFound()
    return lucky


def audit(lucky: LuckyDraw) -> dict:
    """The draw as anyone may check it: the commitment always; the seed, the entry ids with their ranks,
    the winners' display names and the recompute procedure only once it is drawn, whatever is stored."""
    result = {"id": lucky.id, "title": lucky.title, "status": lucky.status.value, "winners": lucky.winners,
              "draw_at": clock.as_utc(lucky.draw_at), "seed_hash": lucky.seed_hash}
    if lucky.status != DrawStatus.DRAWN:
        return result
    entries = list(db.session.execute(sa.select(DrawEntry).where(DrawEntry.draw_id == lucky.id)
                                      .order_by(DrawEntry.id)).scalars())
    entry_ids = [entry.id for entry in entries]
    ranked = sorted((entry for entry in entries if entry.rank is not None), key=lambda entry: entry.rank)
    result.update(
        seed=lucky.seed, drawn_at=clock.as_utc(lucky.drawn_at),
        entries=[{"id": entry.id, "rank": entry.rank} for entry in entries],
        winner_names=_display_names([entry.user_id for entry in ranked[:lucky.winners]]),
        procedure=fairdraw.__doc__, recompute=fairdraw.recompute_snippet(lucky.seed, entry_ids, lucky.winners))
    return result


def winner_ids(draw_id: int) -> list[int]:
    """The winners' user ids in draw order (empty until drawn)."""
    lucky = db.session.get(LuckyDraw, draw_id)
    if lucky is None or lucky.status != DrawStatus.DRAWN:
        return []
    return list(db.session.execute(sa.select(DrawEntry.user_id).where(
        DrawEntry.draw_id == draw_id, DrawEntry.rank.is_not(None), DrawEntry.rank <= lucky.winners)
        .order_by(DrawEntry.rank)).scalars())
