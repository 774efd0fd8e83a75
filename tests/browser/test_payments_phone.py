"""A shopkeeper on a phone confirms a member's cash deposit on the payments page, which fits the screen."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from core.extensions import db
from groupbuy import deposits
from tests.browser.phone import assert_fits_phone, log_in
from tests.factories import add_member, make_user
from tests.groupbuy_factories import make_group_buy, make_pledge

pytestmark = pytest.mark.browser


def test_a_shopkeeper_marks_a_cash_deposit_paid_on_a_phone(phone, screenshot):
    group_buy = make_group_buy(deposit_percent=10, title="Hainan lychees, the big box of twelve kilograms")
    member = add_member(group_buy.community, make_user(display_name="Ana Averyverylongsecondname"))
    deposits.take(make_pledge(group_buy, member, quantity=5))
    db.session.commit()
    log_in(phone, group_buy.community.owner.email,
           next_path=f"/c/{group_buy.community.slug}/group-buys/{group_buy.id}/payments")
    assert_fits_phone(phone)
    phone.get_by_role("button", name="Mark paid").click()
    expect(phone.get_by_role("status").first).to_contain_text("Marked as paid.")
    expect(phone.locator('[data-testid="payments"]')).to_contain_text("Paid")
    assert_fits_phone(phone)
    screenshot(phone, "payments")
