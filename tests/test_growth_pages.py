"""Growth pages (issue #6): a community's lucky draws and their audit, as members and shopkeepers see them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from core import clock
from core.extensions import db
from referral import draws
from referral.models import LuckyDraw
from tests.community_helpers import page_text
from tests.factories import add_member, count, login_as, make_community, make_user

START = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)  # 17:00 in Shanghai


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
