"""A member subscribed to a weekly fruit box opens "My subscription" on her phone, skips next Saturday's
box with one tap and, in the box after it, swaps the mangoes for the alternative the plan allows — the
page shows both, the database holds one skip and one swap, and nothing sticks out sideways (issue #5)."""

from __future__ import annotations

from datetime import date, datetime

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from core import clock
from core.extensions import db
from subscriptions.models import SubscriptionSkip, SubscriptionSwap
from tests.browser.phone import assert_fits_phone, log_in
from tests.factories import make_community, make_user
from tests.subscription_factories import NOW, make_plan, make_subscriber

pytestmark = pytest.mark.browser

NEXT_SATURDAY, THE_ONE_AFTER = date(2026, 11, 28), date(2026, 12, 5)


def test_a_member_skips_next_weeks_box_and_swaps_an_item_in_the_following_one_on_her_phone(phone, screenshot):
    clock.freeze(datetime.fromisoformat(NOW))  # Sunday noon in Shanghai; the next box comes on Saturday the 28th
    community = make_community(name="Lotus Court Neighbours")
    plan, variants = make_plan(community)
    subscription = make_subscriber(plan, make_user(display_name="Li Na 李娜"))
    url = f"/c/{community.slug}/subscriptions/{subscription.id}"
    subscription_id, email = subscription.id, subscription.user.email
    mango, alternative = variants[0], variants[2]
    mango_id, alternative_id, alternative_name = mango.id, alternative.id, alternative.product.name
    db.session.remove()

    log_in(phone, email, next_path=url)
    expect(phone.get_by_role("heading", name="My subscription")).to_be_visible()
    deliveries = phone.get_by_test_id("delivery")
    expect(deliveries).to_have_count(6)
    assert_fits_phone(phone)
    screenshot(phone, "my-subscription")

    next_box = phone.locator(f'[data-testid="delivery"][data-date="{NEXT_SATURDAY.isoformat()}"]')
    next_box.get_by_role("button", name="Skip this box").click()
    expect(phone.get_by_role("status").first).to_contain_text("No box that day.")
    next_box = phone.locator(f'[data-testid="delivery"][data-date="{NEXT_SATURDAY.isoformat()}"]')
    expect(next_box.get_by_test_id("skipped")).to_have_text("Skipped")
    expect(next_box.get_by_role("button", name="Undo skip")).to_be_visible()
    assert_fits_phone(phone)

    following = phone.locator(f'[data-testid="delivery"][data-date="{THE_ONE_AFTER.isoformat()}"]')
    mango_row = following.locator(f'[data-testid="box-item"][data-variant="{mango_id}"]')
    mango_row.get_by_role("combobox").select_option(str(alternative_id))
    mango_row.get_by_role("button", name="Swap").click()
    expect(phone.get_by_role("status").first).to_contain_text("The box is changed.")
    following = phone.locator(f'[data-testid="delivery"][data-date="{THE_ONE_AFTER.isoformat()}"]')
    swapped = following.locator(f'[data-testid="box-item"][data-variant="{alternative_id}"]')
    expect(swapped).to_contain_text(alternative_name)
    expect(swapped.get_by_test_id("swapped")).to_be_visible()
    expect(swapped.get_by_role("button", name="Swap back")).to_be_visible()
    expect(following.locator(f'[data-testid="box-item"][data-variant="{mango_id}"]')).to_have_count(0)
    expect(following.get_by_test_id("skipped")).to_have_count(0)
    assert_fits_phone(phone)
    screenshot(phone, "skipped-and-swapped")

    db.session.expire_all()
    skips = db.session.execute(sa.select(SubscriptionSkip)).scalars().all()
    assert [(s.subscription_id, s.delivery_date) for s in skips] == [(subscription_id, NEXT_SATURDAY)]
    swaps = db.session.execute(sa.select(SubscriptionSwap)).scalars().all()
    assert [(s.subscription_id, s.delivery_date, s.variant_id, s.alternative_id) for s in swaps] == \
        [(subscription_id, THE_ONE_AFTER, mango_id, alternative_id)]
