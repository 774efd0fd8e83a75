"""A member on a phone: opens a group buy five units short of the next tier, pledges, and — without
reloading — sees the price and the progress bar move when a member of another community pledges too."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from core.extensions import db
from tests.browser.phone import assert_fits_phone, log_in
from tests.factories import add_member, make_community, make_pickup_point
from tests.groupbuy_factories import make_group_buy, make_offer, make_pledge

pytestmark = pytest.mark.browser


def test_a_member_pledges_on_a_phone_and_sees_the_price_move(phone, screenshot):
    offer = make_offer(moq=50)  # member prices 33.00, 28.60, 24.20 (10 % margin)
    group_buy = make_group_buy(offer, title="Hainan lychees")
    other = make_community()
    make_pickup_point(other)
    elsewhere = make_group_buy(offer, other)
    make_pledge(elsewhere, quantity=90)
    member = add_member(group_buy.community)
    url = f"/c/{group_buy.community.slug}/group-buys/{group_buy.id}"
    log_in(phone, member.email, next_path=url)

    price = phone.locator('[data-gb="price"]')
    expect(price).to_have_text("CN¥33.00")
    expect(phone.locator('[data-gb="next"]')).to_contain_text("10 more and everyone pays CN¥28.60")
    expect(phone.locator(".countdown")).to_contain_text("left")
    assert_fits_phone(phone)

    phone.get_by_label("Quantity").fill("5")
    phone.get_by_role("button", name="Pledge").click()
    expect(phone.get_by_role("status").first).to_contain_text("Your pledge is in")
    expect(phone.locator('[data-gb="next"]')).to_contain_text("5 more and everyone pays CN¥28.60")
    expect(phone.locator('[data-gb="my-amount"]')).to_have_text("CN¥165.00")
    screenshot(phone, "pledged")

    make_pledge(elsewhere, quantity=5)  # another community reaches the tier at 100
    db.session.remove()
    expect(price).to_have_text("CN¥28.60", timeout=25_000)  # the page polls every 10 s
    expect(phone.locator('[data-gb="my-amount"]')).to_have_text("CN¥143.00")
    expect(phone.locator('[data-gb="tier-bar"]')).to_have_attribute("aria-valuenow", "33")
    screenshot(phone, "price-fell")
    assert_fits_phone(phone)
