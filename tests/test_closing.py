"""Closing an offer: below its MOQ it fails and releases every pledge; at or above it, pledges pooled
across communities become orders at the final tier (never above a member's cap), rounded to whole
cases, with one purchase order for the supplier and a balance payment per order — once, however many
times or however concurrently the close job runs."""

import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa

from core import clock, jobs
from core.extensions import db
from core.mail import OutboxEmail
from groupbuy import pledges
from groupbuy.models import GroupBuy, GroupBuyStatus, Pledge, PledgeStatus
from orders.models import Order, PurchaseOrder, PurchaseOrderLine
from payments.models import Payment, PaymentPurpose, PaymentStatus
from supplier.models import Offer, OfferStatus
from tests.closing_helpers import after_close, fresh, run_close, two_communities
from tests.factories import add_member, count, login_as, make_product, make_supplier, make_user
from tests.groupbuy_factories import make_group_buy, make_offer, make_pledge


def _emails_to(user) -> list[OutboxEmail]:
    return list(db.session.execute(sa.select(OutboxEmail).where(OutboxEmail.recipient == user.email)).scalars())


def _order_of(pledge) -> Order:
    return db.session.execute(sa.select(Order).where(Order.source == "groupbuy",
                                                     Order.source_id == pledge.id)).scalar_one()


def test_an_offer_below_its_moq_fails_releases_every_pledge_and_tells_the_members(app):
    offer, first, second = two_communities(moq=50)
    ana, bo = add_member(first.community), add_member(second.community)
    bo.locale = "zh_Hans_CN"
    db.session.commit()
    make_pledge(first, ana, quantity=20)
    make_pledge(second, bo, quantity=10)
    after_close(offer)
    assert run_close(offer.id) == "failed"
    assert fresh(Offer, offer.id).status == OfferStatus.FAILED and fresh(Offer, offer.id).pledged_quantity == 0
    for group_buy in (first, second):
        closed = fresh(GroupBuy, group_buy.id)
        assert closed.status == GroupBuyStatus.FAILED and closed.closed_at == clock.now()
    assert count(Pledge, Pledge.status == PledgeStatus.RELEASED) == 2 and count(Pledge) == 2
    assert count(Order) == 0 and count(PurchaseOrder) == 0 and count(Payment) == 0
    [to_ana] = _emails_to(ana)
    assert "released" in to_ana.body and first.title in to_ana.body
    [to_bo] = _emails_to(bo)
    assert "released" not in to_bo.body and second.title in to_bo.body  # in Bo's own language
    assert len(_emails_to(first.community.owner)) == 1 and len(_emails_to(second.community.owner)) == 1


def test_a_failed_close_refunds_a_deposit_paid_and_the_page_says_so(client):
    group_buy = make_group_buy(make_offer(moq=50), deposit_percent=10)
    member = add_member(group_buy.community)
    pledge = make_pledge(group_buy, member, quantity=5)
    db.session.add(Payment(gateway="offline", purpose=PaymentPurpose.DEPOSIT, reference=f"pledge:{pledge.id}",
                           user_id=member.id, amount=1650, currency="CNY", status=PaymentStatus.SUCCEEDED,
                           idempotency_key=f"deposit-pledge-{pledge.id}", paid_at=clock.now()))
    db.session.commit()
    after_close(group_buy.offer)
    run_close(group_buy.offer_id)
    [refund] = db.session.execute(sa.select(Payment).where(Payment.purpose == PaymentPurpose.REFUND)).scalars()
    assert refund.amount == 1650 and refund.reference == f"pledge:{pledge.id}"
    assert "refunded" in _emails_to(member)[0].body
    page = login_as(client, member).get(f"/c/{group_buy.community.slug}/group-buys/{group_buy.id}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "closed below its minimum order" in text and "Your pledge was released" in text
    assert "deposit of CN¥16.50 is refunded" in text, text


def test_pledges_pooled_across_two_communities_all_pay_the_final_tier(client):
    offer, first, second = two_communities(moq=50, case_pack=1)
    ana, bo = add_member(first.community), add_member(second.community)
    make_pledge(first, ana, quantity=60)
    make_pledge(second, bo, quantity=45)  # 105 in all: the 26.00 tier
    after_close(offer)
    assert run_close(offer.id) == "succeeded"
    db.session.expire_all()
    ana_order, bo_order = _order_of(pledges_of(ana)), _order_of(pledges_of(bo))
    assert ana_order.lines[0].unit_price == 2860 and ana_order.total_amount == 60 * 2860  # 26.00 + 10 %
    assert bo_order.lines[0].unit_price == 2700 and bo_order.total_amount == 45 * 2700  # 26.00 + 1.00
    assert {ana_order.lines[0].wholesale_unit_price, bo_order.lines[0].wholesale_unit_price} == {2600}
    assert ana_order.community_id == first.community_id and bo_order.pickup_point_id == second.pickup_points[0].id
    [purchase_order] = db.session.execute(sa.select(PurchaseOrder)).scalars()
    assert (purchase_order.quantity, purchase_order.cases, purchase_order.unit_price) == (105, 105, 2600)
    assert purchase_order.currency == "CNY" and purchase_order.supplier_id == offer.supplier_id
    split = {(line.community_id, line.region): line.quantity for line in purchase_order.lines}
    assert split == {(first.community_id, "Xuhui"): 60, (second.community_id, "Pudong"): 45}
    balances = {p.reference: p for p in db.session.execute(sa.select(Payment)).scalars()}
    assert balances[f"pledge:{pledges_of(ana).id}"].amount == 60 * 2860
    assert {p.purpose for p in balances.values()} == {PaymentPurpose.BALANCE}
    assert {p.status for p in balances.values()} == {PaymentStatus.PENDING}  # offline: for the shopkeeper
    assert fresh(Offer, offer.id).status == OfferStatus.SUCCEEDED
    assert {fresh(GroupBuy, gb.id).status for gb in (first, second)} == {GroupBuyStatus.SUCCEEDED}
    assert "28.60" in _emails_to(ana)[0].body


def pledges_of(user) -> Pledge:
    return db.session.execute(sa.select(Pledge).where(Pledge.user_id == user.id)).scalar_one()


def test_nobody_pays_more_than_the_price_they_were_shown(app):
    group_buy = make_group_buy(make_offer(moq=50, case_pack=1))
    ana, bo, cy = (add_member(group_buy.community) for _ in range(3))
    make_pledge(group_buy, ana, quantity=95)
    make_pledge(group_buy, bo, quantity=10)
    make_pledge(group_buy, cy, quantity=3)  # shown 28.60: the total stood at 105
    pledges.cancel_pledge(bo, group_buy.id)
    db.session.commit()  # 98 left: back in the 30.00 tier, 33.00 for members
    after_close(group_buy.offer)
    run_close(group_buy.offer_id)
    db.session.expire_all()
    assert _order_of(pledges_of(ana)).lines[0].unit_price == 3300
    assert _order_of(pledges_of(cy)).lines[0].unit_price == 2860
    assert db.session.execute(sa.select(PurchaseOrder.unit_price)).scalar_one() == 3000


def test_the_tier_is_judged_on_the_units_ordered_after_rounding(app):
    """100 pledged reach the 26.00 tier, but only 96 (16 cases of 6) are ordered: the supplier's price
    for 96 is 30.00, so that is the final tier; caps still protect whoever was shown less."""
    group_buy = make_group_buy(make_offer(moq=50, case_pack=6))
    ana = add_member(group_buy.community)
    make_pledge(group_buy, ana, quantity=100)
    after_close(group_buy.offer)
    run_close(group_buy.offer_id)
    purchase_order = db.session.execute(sa.select(PurchaseOrder)).scalar_one()
    assert (purchase_order.quantity, purchase_order.cases, purchase_order.unit_price) == (96, 16, 3000)
    line = _order_of(pledges_of(ana)).lines[0]
    assert (line.quantity, line.unit_price, line.wholesale_unit_price) == (96, 3300, 3000)


@pytest.mark.parametrize(("c_tolerance", "cases", "expected"), [(3, 2, (6, 3, 3)), (0, 1, (3, 2, 1))])
def test_case_rounding_shares_the_last_case_fairly_end_to_end(app, c_tolerance, cases, expected):
    """docs/GROUPBUY.md's worked example: case of 6; A q4 t2, B q3 t0, C q2 t3 in that order."""
    offer, first, second = two_communities(moq=6, case_pack=6)
    a, b, c = add_member(first.community), add_member(first.community), add_member(second.community)
    make_pledge(first, a, quantity=4, tolerance=2)
    make_pledge(first, b, quantity=3)
    make_pledge(second, c, quantity=2, tolerance=c_tolerance)
    after_close(offer)
    run_close(offer.id)
    db.session.expire_all()
    got = tuple(pledges_of(user).allocated_quantity for user in (a, b, c))
    assert got == expected
    assert tuple(_order_of(pledges_of(user)).lines[0].quantity for user in (a, b, c)) == expected
    purchase_order = db.session.execute(sa.select(PurchaseOrder)).scalar_one()
    assert (purchase_order.cases, purchase_order.quantity) == (cases, cases * 6)
    split = {line.community_id: line.quantity for line in purchase_order.lines}
    assert split == {first.community_id: expected[0] + expected[1], second.community_id: expected[2]}


def test_tolerance_never_opens_a_case_beyond_the_capacity(app):
    group_buy = make_group_buy(make_offer(moq=6, case_pack=6, capacity=10))
    a, b, c = (add_member(group_buy.community) for _ in range(3))
    make_pledge(group_buy, a, quantity=4, tolerance=2)
    make_pledge(group_buy, b, quantity=3)
    make_pledge(group_buy, c, quantity=2, tolerance=3)  # 12 with tolerance: more than the 10 the supplier makes
    after_close(group_buy.offer)
    run_close(group_buy.offer_id)
    db.session.expire_all()
    assert db.session.execute(sa.select(PurchaseOrder.quantity)).scalar_one() == 6
    assert [pledges_of(user).allocated_quantity for user in (a, b, c)] == [3, 2, 1]


def test_a_pledge_whose_units_fill_no_case_is_released_and_pays_nothing(app):
    group_buy = make_group_buy(make_offer(moq=6, case_pack=6))
    early, late = add_member(group_buy.community), add_member(group_buy.community)
    make_pledge(group_buy, early, quantity=6)
    make_pledge(group_buy, late, quantity=1)
    after_close(group_buy.offer)
    run_close(group_buy.offer_id)
    db.session.expire_all()
    assert pledges_of(late).status == PledgeStatus.RELEASED and pledges_of(late).allocated_quantity == 0
    assert count(Order) == 1 and count(Payment) == 1
    assert "pay nothing" in _emails_to(late)[0].body


def _closing_counts():
    return (count(PurchaseOrder), count(Order), count(Payment, Payment.purpose == PaymentPurpose.BALANCE),
            count(PurchaseOrderLine))


def test_the_close_job_run_twice_orders_and_charges_once(app):
    offer, first, second = two_communities(moq=10, case_pack=1)
    for group_buy in (first, second, first):
        make_pledge(group_buy, quantity=5)
    after_close(offer)
    assert run_close(offer.id) == "succeeded"
    emails = count(OutboxEmail)
    assert run_close(offer.id) == "skipped"
    assert _closing_counts() == (1, 3, 3, 2)
    assert count(OutboxEmail) == emails


def test_two_close_jobs_at_once_order_and_charge_once(app):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite serialises every writer: two closes at once need PostgreSQL to mean anything")
    offer, first, second = two_communities(moq=10, case_pack=1)
    for group_buy in (first, second, first):
        make_pledge(group_buy, quantity=5)
    after_close(offer)
    start = threading.Barrier(2)
    outcomes = []

    def close():
        start.wait()
        with app.app_context():
            outcomes.append(run_close(offer.id))

    threads = [threading.Thread(target=close) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["skipped", "succeeded"]
    assert _closing_counts() == (1, 3, 3, 2)


def test_a_close_before_the_closing_time_does_nothing(app):
    group_buy = make_group_buy(make_offer(moq=1, case_pack=1))
    make_pledge(group_buy, quantity=3)
    clock.freeze(group_buy.offer.closes_at - timedelta(seconds=1))
    assert run_close(group_buy.offer_id) == "skipped"
    assert fresh(Offer, group_buy.offer_id).status == OfferStatus.OPEN
    assert count(Order) == 0 and count(Pledge, Pledge.status == PledgeStatus.ACTIVE) == 1


def test_publishing_an_offer_schedules_its_close(client, app):
    staff = make_user()
    offer = make_offer(product=make_product(make_supplier(staff=(staff,)), case_pack=1), moq=2, case_pack=1,
                       status="draft")
    published = login_as(client, staff).post(f"/catalog/offers/{offer.id}/publish")
    assert published.status_code == 302 and fresh(Offer, offer.id).status == OfferStatus.OPEN
    group_buy = make_group_buy(fresh(Offer, offer.id))
    make_pledge(group_buy, quantity=2)
    assert jobs.run_due(app) == 0  # not yet
    after_close(fresh(Offer, offer.id))
    assert jobs.run_due(app) == 1
    assert fresh(Offer, offer.id).status == OfferStatus.SUCCEEDED and count(PurchaseOrder) == 1


def test_a_close_moved_later_is_scheduled_again(app):
    group_buy = make_group_buy(make_offer(moq=1, case_pack=1))
    make_pledge(group_buy, quantity=1)
    offer = fresh(Offer, group_buy.offer_id)
    first_close = offer.closes_at
    offer.closes_at = first_close + timedelta(days=2)
    db.session.commit()
    clock.freeze(first_close + timedelta(minutes=1))
    assert run_close(offer.id) == "skipped"
    clock.advance(timedelta(days=2))
    assert jobs.run_due(app) == 1 and fresh(Offer, offer.id).status == OfferStatus.SUCCEEDED


def test_the_sweeper_closes_what_is_due_from_the_command_line(app, runner):
    due = make_group_buy(make_offer(moq=1, case_pack=1, days_open=2), days=1)
    later = make_group_buy(make_offer(moq=1, case_pack=1, days_open=30))
    make_pledge(due, quantity=1)
    due_id, later_id = due.offer_id, later.offer_id  # the command's context removes this session
    clock.advance(timedelta(days=3))
    result = runner.invoke(args=["groupbuy", "close-due"])
    assert result.exit_code == 0, result.output
    assert f"offer {due_id}: succeeded" in result.output and "1 offers due" in result.output
    assert fresh(Offer, due_id).status == OfferStatus.SUCCEEDED
    assert fresh(Offer, later_id).status == OfferStatus.OPEN


def test_the_group_buy_page_reads_closed_at_the_deadline_before_the_job_runs(client):
    group_buy = make_group_buy(make_offer(moq=1, case_pack=1))
    member = add_member(group_buy.community)
    make_pledge(group_buy, member, quantity=2)
    after_close(group_buy.offer)
    page = login_as(client, member).get(f"/c/{group_buy.community.slug}/group-buys/{group_buy.id}")
    text = page.get_data(as_text=True)
    assert "This group buy is closed for pledges." in text and "Change my pledge" not in text


def test_after_a_successful_close_members_see_their_order_and_the_shopkeeper_the_list(client):
    group_buy = make_group_buy(make_offer(moq=1, case_pack=1))
    member = add_member(group_buy.community, make_user(display_name="Mei Lin"))
    make_pledge(group_buy, member, quantity=4)
    after_close(group_buy.offer)
    run_close(group_buy.offer_id)
    page = login_as(client, member).get(f"/c/{group_buy.community.slug}/group-buys/{group_buy.id}")
    text = page.get_data(as_text=True)
    assert 'data-testid="outcome"' in text and "¥33.00" in text and "¥132.00" in text
    assert client.get(f"/c/{group_buy.community.slug}/group-buys/{group_buy.id}/orders").status_code == 403
    client.post("/logout")
    orders = login_as(client, group_buy.community.owner).get(
        f"/c/{group_buy.community.slug}/group-buys/{group_buy.id}/orders")
    assert orders.status_code == 200
    listing = orders.get_data(as_text=True)
    assert "Mei Lin" in listing and "¥132.00" in listing and "Waiting" in listing
    assert group_buy.pickup_points[0].name in listing


def test_the_orders_list_is_not_found_outside_the_community(client):
    group_buy = make_group_buy()
    outsider = make_user()
    response = login_as(client, outsider).get(f"/c/{group_buy.community.slug}/group-buys/{group_buy.id}/orders")
    assert response.status_code == 404


def test_the_supplier_sees_the_purchase_order_split_without_member_data(client):
    staff = make_user()
    offer, first, second = two_communities(product=make_product(make_supplier(staff=(staff,)), case_pack=1),
                                           moq=2, case_pack=1)
    ana = add_member(first.community, make_user(display_name="Ana Secretname"))
    make_pledge(first, ana, quantity=3)
    make_pledge(second, quantity=2)
    after_close(offer)
    run_close(offer.id)
    purchase_order = db.session.execute(sa.select(PurchaseOrder)).scalar_one()
    login_as(client, staff)
    listing = client.get("/catalog/purchase-orders").get_data(as_text=True)
    assert f"/catalog/purchase-orders/{purchase_order.id}" in listing
    page = client.get(f"/catalog/purchase-orders/{purchase_order.id}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert first.community.name in text and "Pudong Neighbours" in text and "Xuhui" in text
    for member in (ana, *[p.user for p in db.session.execute(sa.select(Pledge)).scalars()]):
        assert member.display_name not in text and member.email not in text
    assert "Ana Secretname" not in listing


def test_another_suppliers_purchase_order_is_not_found(client):
    group_buy = make_group_buy(make_offer(moq=1, case_pack=1))
    make_pledge(group_buy, quantity=1)
    after_close(group_buy.offer)
    run_close(group_buy.offer_id)
    purchase_order_id = db.session.execute(sa.select(PurchaseOrder.id)).scalar_one()
    login_as(client, make_user())
    assert client.get(f"/catalog/purchase-orders/{purchase_order_id}").status_code == 404
