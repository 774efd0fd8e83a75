"""A supplier on a phone: opens a variant, creates an offer with three price tiers, publishes it, and
sees it in the list with its pooled total against the MOQ."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.phone import assert_fits_phone, log_in
from tests.offer_helpers import fresh_offer, tier_pairs, variant_with_staff

pytestmark = pytest.mark.browser


def test_a_supplier_creates_and_publishes_an_offer_on_a_phone(phone, screenshot):
    variant, staff = variant_with_staff(name="Hainan lychees")
    log_in(phone, staff.email, next_path=f"/catalog/products/{variant.product_id}")
    phone.get_by_role("link", name="Create offer").click()
    expect(phone.get_by_role("heading", level=1)).to_contain_text("New offer")
    assert_fits_phone(phone)

    for row, (quantity, price) in enumerate((("1", "30.00"), ("100", "26.00"), ("300", "22.00"))):
        phone.locator(f"#tiers-{row}-min_quantity").fill(quantity)
        phone.locator(f"#tiers-{row}-unit_price").fill(price)
    phone.get_by_label("Minimum order (MOQ)").fill("100")
    phone.get_by_label("Capacity").fill("1000")
    screenshot(phone, "new-offer")
    phone.get_by_role("button", name="Save").click()

    expect(phone.get_by_role("status").first).to_contain_text("saved as a draft")
    offer_id = int(re.search(r"/catalog/offers/(\d+)$", phone.url).group(1))
    phone.get_by_role("button", name="Publish").click()
    expect(phone.get_by_role("status").first).to_contain_text("published")
    assert_fits_phone(phone)

    phone.get_by_role("link", name="Offers").first.click()
    expect(phone.get_by_role("link", name=re.compile("Hainan lychees"))).to_be_visible()
    expect(phone.get_by_role("progressbar")).to_have_count(1)
    screenshot(phone, "offer-list")
    assert_fits_phone(phone)
    assert tier_pairs(fresh_offer(offer_id)) == [(1, 3000), (100, 2600), (300, 2200)]
