"""A member waits on a launch page on a phone: the stage appears when the server's clock passes its reveal
and Reserve when it passes the opening — the page learns both from the server, the test never reloads
it — then she reserves the only unit and pays at pickup, while a second phone, open on the same page,
sees "Sold out" without reloading (acceptance item 4 of issue #4)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from accounts.models import User
from core import clock
from core.extensions import db
from launches import services
from launches.models import Hold, HoldStatus, Launch
from orders.models import Order
from payments.models import Payment, PaymentStatus
from tests.browser.phone import assert_fits_phone, log_in
from tests.factories import add_member, make_community, make_pickup_point, make_product, make_supplier, make_user

pytestmark = pytest.mark.browser

STAGE_TITLE, STAGE_TEXT = "Midnight Matcha", "Stone-ground in Uji, one tin of 40 g"
#: the stock poll runs every 1.5 s; a few seconds more for two busy cores
SOLD_OUT_WITHIN_MS = 6_000


def _launch_with_a_stage(community, start):
    """One unit (one per member), opening in five minutes; a stage reveals in two."""
    owner = db.session.get(User, community.owner_id)
    variant = make_product(make_supplier()).variants[0]
    launch = services.create_launch(owner, community, variant_id=variant.id, title="Something green",
                                    teaser="Guess what it is", price=9900, stock=1, per_member_limit=1,
                                    opens_at=start + timedelta(minutes=5))
    services.add_stage(owner, launch.id, reveal_at=start + timedelta(minutes=2), title=STAGE_TITLE,
                       body=STAGE_TEXT)
    services.publish(owner, launch.id)
    db.session.commit()
    return launch


def test_a_member_waits_for_the_reveal_and_the_opening_and_buys_the_last_unit_as_another_phone_sees_it_sold_out(
        phone, second_phone, screenshot):
    start = clock.freeze()  # the present: the phones' clocks and the server's agree until the test moves it
    community = make_community(name="Lotus Court Neighbours")
    make_pickup_point(community)
    launch = _launch_with_a_stage(community, start)
    launch_id = launch.id
    alice = add_member(community, make_user(display_name="Li Na 李娜"))
    bo = add_member(community, make_user(display_name="Wang Bo 王波"))
    url = f"/c/{community.slug}/launches/{launch_id}"
    alice_id, alice_email, bo_email = alice.id, alice.email, bo.email
    db.session.remove()

    log_in(phone, alice_email, next_path=url)
    expect(phone.get_by_role("main")).to_contain_text("Guess what it is")
    expect(phone.get_by_text("Opens in")).to_be_visible()
    expect(phone.get_by_test_id("reveal-stage")).to_have_count(0)
    assert STAGE_TITLE not in phone.content() and STAGE_TEXT not in phone.content()
    expect(phone.get_by_role("button", name="Reserve")).to_have_count(0)
    assert_fits_phone(phone)
    screenshot(phone, "waiting")
    phone.evaluate("() => { window.__waiting = 1; }")

    clock.advance(timedelta(minutes=2, seconds=1))  # past the reveal, before the opening
    stage = phone.get_by_test_id("reveal-stage")
    expect(stage).to_contain_text(STAGE_TITLE)
    expect(stage).to_contain_text(STAGE_TEXT)
    assert phone.evaluate("() => window.__waiting") is None  # the page reloaded itself
    assert phone.url.endswith(url)
    expect(phone.get_by_role("button", name="Reserve")).to_have_count(0)
    assert_fits_phone(phone)
    screenshot(phone, "revealed")

    clock.advance(timedelta(minutes=3))  # past the opening
    reserve = phone.get_by_role("button", name="Reserve")
    expect(reserve).to_be_visible()
    assert_fits_phone(phone)
    screenshot(phone, "open")

    timing_asks: list[str] = []
    second_phone.on("request", lambda request: "/timing" in request.url and timing_asks.append(request.url))
    log_in(second_phone, bo_email, next_path=url)
    expect(second_phone.get_by_role("button", name="Reserve")).to_be_visible()
    second_phone.evaluate("() => { window.__marker = 1; }")

    reserve.click()
    expect(phone.get_by_role("status").first).to_contain_text("Reserved!")
    hold = phone.get_by_test_id("drop-hold")
    expect(hold).to_contain_text("1 reserved for you. Pay within")
    expect(hold.locator(".countdown")).to_have_text(re.compile(r"^0 d 00 h (10 min 00|09 min \d\d) s$"))
    expect(hold).to_contain_text("CN¥99.00")
    assert_fits_phone(phone)
    screenshot(phone, "held")

    sold_out = second_phone.locator('[data-drop="sold-out"]')
    expect(sold_out).to_be_visible(timeout=SOLD_OUT_WITHIN_MS)
    expect(sold_out).to_have_text("Sold out")
    expect(second_phone.get_by_role("button", name="Reserve")).to_be_hidden()
    expect(second_phone.get_by_role("button", name="Join the waitlist")).to_be_visible()
    assert second_phone.evaluate("() => window.__marker") == 1  # the same page: it never reloaded
    assert_fits_phone(second_phone)
    screenshot(second_phone, "second-phone-sold-out")

    phone.get_by_role("button", name="Pay at pickup (cash or transfer)").click()
    expect(phone.get_by_role("status").first).to_contain_text("It's yours")
    expect(phone.get_by_test_id("drop-bought")).to_contain_text("Yours: 1")
    expect(phone.get_by_test_id("drop-hold")).to_have_count(0)
    assert_fits_phone(phone)
    screenshot(phone, "bought")

    expect(sold_out).to_be_visible()
    assert second_phone.evaluate("() => window.__marker") == 1
    assert timing_asks == []  # nothing was pending on the second phone's page: it never asked

    db.session.expire_all()
    sold = db.session.get(Launch, launch_id)
    assert (sold.stock, sold.sold, sold.held) == (1, 1, 0)
    bought = db.session.execute(sa.select(Hold).where(Hold.launch_id == launch_id)).scalar_one()
    assert (bought.user_id, bought.status) == (alice_id, HoldStatus.ORDERED)
    order = db.session.execute(sa.select(Order).where(Order.source == "launch")).scalar_one()
    assert (order.source_id, order.user_id) == (bought.id, alice_id)
    payment = db.session.execute(sa.select(Payment).where(Payment.reference == f"hold:{bought.id}")).scalar_one()
    assert (payment.gateway, payment.amount, payment.status) == ("offline", 9900, PaymentStatus.PENDING)
