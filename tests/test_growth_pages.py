"""Growth pages (issue #6): a community's lucky draws and their audit, as members and shopkeepers see them."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest

from core import clock
from core.extensions import db
from orders.services import LineSpec, create_order
from referral import credit, draws, insight, invites
from referral.models import (
    CreditSource,
    LuckyDraw,
    Referral,
    ReferralLink,
    ReferralProgram,
    ReferralStatus,
    Review,
    ReviewStatus,
)
from shopkeeper.models import Invite, Membership
from tests.community_helpers import page_text
from tests.factories import add_member, count, login_as, make_community, make_product, make_supplier, make_user

START = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)  # 17:00 in Shanghai
_keys = itertools.count(1)


@pytest.fixture(autouse=True)
def _frozen_clock():
    clock.freeze(START)


def _scheduled_draw(community, **overrides) -> LuckyDraw:
    values = {"title": "Autumn thanks", "prize_credit": 500, "winners": 1,
              "draw_at": clock.now() + timedelta(hours=2)} | overrides
    lucky = draws.create_draw(community.owner, community, **values)
    db.session.commit()
    return lucky


def test_members_see_the_draws_and_only_the_shopkeeper_gets_the_form(client):
    community = make_community()
    member = add_member(community)
    _scheduled_draw(community)

    login_as(client, member)
    page = page_text(client.get(f"/c/{community.slug}/draws"))
    assert "Autumn thanks" in page and 'name="draw_at"' not in page
    assert client.post(f"/c/{community.slug}/draws", data={"title": "Mine"}).status_code == 403
    assert count(LuckyDraw) == 1

    client.get("/logout")
    login_as(client, community.owner)
    assert 'name="draw_at"' in page_text(client.get(f"/c/{community.slug}/draws"))


def test_outsiders_get_a_404_for_the_draws_and_their_audit(client):
    community = make_community()
    lucky = _scheduled_draw(community)
    login_as(client, make_user())
    assert client.get(f"/c/{community.slug}/draws").status_code == 404
    assert client.get(f"/c/{community.slug}/draws/{lucky.id}").status_code == 404
    other = make_community()
    login_as(client, other.owner)
    assert client.get(f"/c/{other.slug}/draws/{lucky.id}").status_code == 404


def test_a_shopkeeper_schedules_a_draw_from_the_form_in_the_community_time_zone(client):
    community = make_community()
    login_as(client, community.owner)
    response = client.post(f"/c/{community.slug}/draws", data={
        "title": "Lychee lovers", "prize_credit": "12.50", "eligibility": "members", "group_buy_id": "0",
        "winners": "3", "draw_at": "2026-11-02T10:00"})
    assert response.status_code == 302
    lucky = db.session.execute(db.select(LuckyDraw)).scalar_one()
    assert response.headers["Location"].endswith(draws.draw_path(community.slug, lucky.id))
    assert (lucky.prize_credit, lucky.winners, lucky.prize_item) == (1250, 3, "")
    assert clock.as_utc(lucky.draw_at) == datetime(2026, 11, 2, 2, 0, tzinfo=UTC)


@pytest.mark.parametrize(("data", "message"), [
    ({"prize_credit": "5", "prize_item": "A basket"}, "either a store credit prize or an item"),
    ({"prize_credit": "5", "draw_at": "2026-11-01T10:00"}, "must be in the future"),
    ({"prize_credit": "5", "eligibility": "pledged"}, "Enter a whole number from 1"),
    ({"prize_credit": "five"}, "Enter an amount like 12.50"),
])
def test_a_bad_draw_form_is_shown_again_with_the_error_and_nothing_is_written(client, data, message):
    community = make_community()
    login_as(client, community.owner)
    form = {"title": "Oops", "eligibility": "members", "group_buy_id": "0", "winners": "1",
            "draw_at": "2026-11-02T10:00"} | data
    response = client.post(f"/c/{community.slug}/draws", data=form)
    assert response.status_code == 422
    assert message in page_text(response)
    assert count(LuckyDraw) == 0


def test_the_audit_shows_only_the_hash_before_the_draw_then_the_seed_entries_and_winners(client):
    community = make_community()
    winner = add_member(community, make_user(display_name="Lucky Lin"))
    lucky = _scheduled_draw(community)
    login_as(client, winner)

    before = page_text(client.get(f"/c/{community.slug}/draws/{lucky.id}"))
    assert lucky.seed_hash in before and lucky.seed not in before
    assert "The seed is revealed at the draw" in before

    clock.freeze(clock.as_utc(lucky.draw_at) + timedelta(seconds=1))
    assert draws.draw(lucky.id) == "drawn"
    db.session.commit()
    after = page_text(client.get(f"/c/{community.slug}/draws/{lucky.id}"))
    assert lucky.seed in after and lucky.seed_hash in after and "Lucky Lin" in after
    assert "fairdraw" in after or "hashlib" in after
    assert winner.email not in after


def _program(community, **overrides) -> ReferralProgram:
    program = ReferralProgram(community_id=community.id, **({"inviter_reward": 1000, "friend_reward": 500}
                                                             | overrides))
    db.session.add(program)
    db.session.commit()
    return program


def _referral(community, inviter, friend, status: ReferralStatus, reason: str = "") -> Referral:
    referral = Referral(community_id=community.id, inviter_id=inviter.id, invitee_id=friend.id, status=status,
                        reason=reason, converted_at=clock.now(),
                        held_until=clock.now() + timedelta(hours=72) if status == ReferralStatus.HELD else None)
    db.session.add(referral)
    db.session.commit()
    return referral


def test_the_invite_page_shows_the_personal_link_the_rewards_and_each_friend_in_words(client):
    community = make_community()
    inviter = add_member(community)
    _program(community)
    for name, status in (("Amy", ReferralStatus.PAID), ("Bo", ReferralStatus.HELD),
                         ("Cai", ReferralStatus.CAPPED), ("Dan", ReferralStatus.REJECTED)):
        _referral(community, inviter, add_member(community, make_user(display_name=name)), status)
    _referral(community, community.owner, add_member(community, make_user(display_name="Not mine")),
              ReferralStatus.PAID)
    login_as(client, inviter)

    page = page_text(client.get(f"/c/{community.slug}/invite"))
    token = db.session.execute(db.select(Invite.token).join(ReferralLink, ReferralLink.invite_id == Invite.id)
                               .where(ReferralLink.user_id == inviter.id)).scalar_one()
    assert f"http://localhost/join/{token}" in page
    assert "¥10.00" in page and "¥5.00" in page
    for text in ("Amy", "Paid out", "Bo", "Held for review", "Cai", "Capped", "Dan", "Rejected"):
        assert text in page
    assert "Not mine" not in page


def test_the_invite_page_says_when_there_are_no_rewards_and_is_hidden_from_outsiders(client):
    community = make_community()
    login_as(client, add_member(community))
    assert "No invite rewards here yet" in page_text(client.get(f"/c/{community.slug}/invite"))
    client.get("/logout")
    login_as(client, make_user())
    assert client.get(f"/c/{community.slug}/invite").status_code == 404


def test_the_program_form_stores_rewards_in_minor_units_and_refuses_bad_amounts(client):
    community = make_community()
    login_as(client, community.owner)
    form = {"inviter_reward": "12.50", "friend_reward": "5", "monthly_cap": "4", "hold_hours": "48",
            "active": "y"}
    assert client.post(f"/c/{community.slug}/invite/manage", data=form).status_code == 302
    program = db.session.execute(db.select(ReferralProgram)).scalar_one()
    assert (program.inviter_reward, program.friend_reward, program.monthly_cap, program.hold_hours,
            program.active) == (1250, 500, 4, 48, True)
    assert 'value="12.50"' in page_text(client.get(f"/c/{community.slug}/invite/manage"))

    response = client.post(f"/c/{community.slug}/invite/manage", data=form | {"friend_reward": "-3"})
    assert response.status_code == 422 and "Enter an amount" in page_text(response)
    db.session.expire_all()
    assert db.session.get(ReferralProgram, program.id).friend_reward == 500


def test_a_held_referral_approved_on_the_admin_page_credits_both(client):
    community = make_community()
    _program(community)
    inviter, friend = add_member(community), add_member(community, make_user(display_name="Newbie"))
    referral = _referral(community, inviter, friend, ReferralStatus.HELD, reason="new_account")
    login_as(client, community.owner)
    page = page_text(client.get(f"/c/{community.slug}/invite/manage"))
    assert "Newbie" in page and "A brand-new account" in page

    response = client.post(f"/c/{community.slug}/invite/manage/{referral.id}/approve")
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Referral, referral.id).status == ReferralStatus.PAID
    assert (credit.balance(inviter.id, community.id), credit.balance(friend.id, community.id)) == (1000, 500)


def test_the_admin_page_is_for_the_shopkeeper_only(client):
    community = make_community()
    member = add_member(community)
    referral = _referral(community, member, add_member(community), ReferralStatus.HELD)
    login_as(client, member)
    assert client.get(f"/c/{community.slug}/invite/manage").status_code == 403
    assert client.post(f"/c/{community.slug}/invite/manage/{referral.id}/approve").status_code == 403
    client.get("/logout")
    login_as(client, make_community().owner)
    assert client.get(f"/c/{community.slug}/invite/manage").status_code == 404


def _reviewed(user, community, variant, rating: int, status: ReviewStatus = ReviewStatus.APPROVED):
    order = create_order(user_id=user.id, community_id=community.id, pickup_point_id=None, source="test",
                         source_id=next(_keys), currency=community.currency,
                         lines=[LineSpec(variant.id, 1, 1000, 600)])
    db.session.add(Review(order_line_id=order.lines[0].id, user_id=user.id, community_id=community.id,
                          variant_id=variant.id, rating=rating, status=status, decided_at=clock.now()))
    db.session.commit()
    return order


def _small_world():
    """Lychees reviewed 4 and 2 stars (and a pending 5), ¥3 + ¥10 + ¥5 of rewards, ¥2 spent, a draw with one
    winner, Amy with two paid friends, Bo with one and a held one; and another community's noise."""
    community = make_community()
    amy, bo = (add_member(community, make_user(display_name=name)) for name in ("Amy", "Bo"))
    lychee = make_product(make_supplier(), name="Lychee").variants[0]
    order = _reviewed(amy, community, lychee, 4)
    _reviewed(bo, community, lychee, 2)
    _reviewed(bo, community, lychee, 5, ReviewStatus.PENDING)
    credit.grant(amy.id, community.id, 300, CreditSource.REVIEW_REWARD, "t-review")
    credit.grant(amy.id, community.id, 1000, CreditSource.REFERRAL_REWARD, "t-referral")
    credit.grant(bo.id, community.id, 500, CreditSource.DRAW_PRIZE, "t-draw")
    credit.spend(amy.id, community.id, 200, order.id)
    db.session.commit()
    for inviter, status in ((amy, ReferralStatus.PAID), (amy, ReferralStatus.PAID), (bo, ReferralStatus.PAID),
                            (bo, ReferralStatus.HELD)):
        _referral(community, inviter, add_member(community), status)
    link = invites.personal_link(amy, community)
    joined = add_member(community)
    db.session.execute(db.update(Membership).where(Membership.user_id == joined.id).values(invite_id=link.id))
    db.session.commit()
    lucky = _scheduled_draw(community)
    clock.freeze(clock.as_utc(lucky.draw_at) + timedelta(seconds=1))
    draws.draw(lucky.id)
    db.session.commit()

    other = make_community()
    credit.grant(add_member(other).id, other.id, 7000, CreditSource.REVIEW_REWARD, "t-other")
    db.session.commit()
    return community


def test_the_insight_figures_match_the_world(client):
    community = _small_world()
    assert insight.product_ratings(community) == [("Lychee", 2, 3.0)]
    cost = insight.credit_by_source(community)
    assert (cost["review_reward"], cost["referral_reward"], cost["draw_prize"], cost["rewards"], cost["spent"]) \
        == (300, 1000, 500 + 500, 2300, 200)
    assert insight.draw_figures(community) == {"draws": 1, "drawn": 1, "winners": 1}
    figures = insight.referral_figures(community)
    assert (figures["paid"], figures["held"], figures["rejected"], figures["joined"]) == (3, 1, 0, 1)
    assert insight.top_inviters(community) == [("Amy", 2), ("Bo", 1)]

    login_as(client, community.owner)
    page = page_text(client.get(f"/c/{community.slug}/insight"))
    assert "Lychee" in page and "3.0" in page and "¥23.00" in page and "¥2.00" in page
    assert "¥21.00" in page  # still held by members: granted less spent
    assert page.index("Amy — 2 friends") < page.index("Bo — 1 friend")


def test_the_insight_page_is_for_the_shopkeeper_only(client):
    community = make_community()
    login_as(client, add_member(community))
    assert client.get(f"/c/{community.slug}/insight").status_code == 403
    client.get("/logout")
    login_as(client, make_user())
    assert client.get(f"/c/{community.slug}/insight").status_code == 404


def test_the_insight_and_invite_pages_render_in_chinese(client):
    community = _small_world()
    client.get("/?lang=zh_Hans_CN")
    login_as(client, community.owner)
    insight_page = page_text(client.get(f"/c/{community.slug}/insight"))
    assert '<html lang="zh-Hans">' in insight_page and "商品" in insight_page and "Lychee" in insight_page
    invite_page = client.get(f"/c/{community.slug}/invite")
    assert invite_page.status_code == 200
    assert '<html lang="zh-Hans">' in page_text(invite_page) and "复制" in page_text(invite_page)
