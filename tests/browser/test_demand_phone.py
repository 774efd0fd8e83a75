"""A supplier on a phone reads the committed demand: the open offer's progress to its next tier and the
tables by dimension, scrolling inside their boxes while the page itself never scrolls sideways."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.phone import assert_fits_phone, log_in
from tests.test_demand_dashboard import _world

pytestmark = pytest.mark.browser


def test_a_supplier_reads_the_demand_dashboard_on_a_phone(phone, screenshot):
    world = _world()
    log_in(phone, world["staff"].email, next_path="/catalog")
    phone.get_by_role("link", name="Demand").click()
    expect(phone.get_by_role("heading", level=1)).to_contain_text("Demand")
    expect(phone.get_by_test_id("open-offers")).to_contain_text("190 more for")
    expect(phone.get_by_role("progressbar")).to_have_count(1)
    expect(phone.get_by_test_id("by-region")).to_contain_text("No region")
    assert_fits_phone(phone)
    screenshot(phone, "demand")
    phone.get_by_text("Filters").click()
    phone.get_by_label("Pickup region").select_option("Pudong")
    phone.get_by_role("button", name="Show").click()
    expect(phone.get_by_test_id("by-community")).to_contain_text("Pudong Neighbours")
    expect(phone.get_by_test_id("by-community")).not_to_contain_text("Riverside")
    expect(phone.get_by_label("Pickup region")).to_be_visible()  # the filters stay open while in use
    assert_fits_phone(phone)
