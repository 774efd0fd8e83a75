"""A shopkeeper on a phone at the pickup point: the bell says what is new, the pickup list fits the
screen, a tap marks a member's pickup; printed, the list leaves the navigation out and fits A4."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.phone import assert_fits_phone, log_in
from tests.factories import login_as
from tests.test_fulfilment import _base, closed_world

pytestmark = pytest.mark.browser
#: A4 is 210 mm wide; less 12 mm margins each side, at CSS's 96 px per inch
A4_PRINTABLE_PX = int((210 - 24) / 25.4 * 96)


def test_a_shopkeeper_marks_pickups_on_a_phone_and_prints_the_list(phone, screenshot, app):
    world = closed_world()
    client = app.test_client()
    login_as(client, world["staff"])
    for step in ("confirm", "ship"):
        client.post(f"/catalog/purchase-orders/{world['po'].id}/{step}")
    owner = world["first"].community.owner
    base = _base(world)
    log_in(phone, owner.email, next_path=f"{base}/fulfilment")
    expect(phone.locator('[data-testid="bell-count"]')).to_have_text("2")  # confirmed, shipped
    assert_fits_phone(phone)
    phone.get_by_role("button", name="Receive the delivery").click()
    phone.get_by_role("button", name="Open the pickup points and tell the members").click()
    expect(phone.get_by_role("status").first).to_contain_text("The pickup points are open")
    screenshot(phone, "fulfilment")
    phone.goto(f"{base}/pickup")
    assert_fits_phone(phone)
    row = phone.locator('[data-testid="pickup-row"]', has_text="Ana Secretname")
    row.get_by_role("button", name="Picked up").click()
    expect(phone.get_by_role("status").first).to_contain_text("Ana Secretname picked up their order.")
    expect(phone.locator('[data-testid="pickup-row"]', has_text="Ana Secretname")).to_contain_text("Picked up")
    screenshot(phone, "pickup-list")

    phone.emulate_media(media="print")
    expect(phone.locator(".topbar")).to_be_hidden()
    width = phone.evaluate("() => document.querySelector('.print-list').getBoundingClientRect().width")
    assert width <= A4_PRINTABLE_PX
