"""Deposits: taken when a member pledges (offline: owed to the shopkeeper; Stripe: a PaymentIntent that
saves the card, or a SetupIntent when nothing is due), topped up when the pledge grows, given back when
it is cancelled or the offer fails, and settled at close so that nothing is paid twice."""

import sqlalchemy as sa

from core.extensions import db
from groupbuy.models import Pledge
from orders.models import Order
from payments.models import GatewayCustomer, Payment, PaymentPurpose, PaymentStatus
from tests.closing_helpers import after_close, run_close
from tests.factories import add_member, login_as, token_headers
from tests.groupbuy_factories import make_group_buy, make_offer
from tests.payment_helpers import TEST_CARD, stripe_stub_fixture  # noqa: F401

#: the default offer's first tier is 30.00 wholesale; a 10 % margin makes 33.00 a unit for members


def _put(client, group_buy, user, **body):
    body.setdefault("pickup_point_id", group_buy.pickup_points[0].id)
    return client.put(f"/api/v1/group-buys/{group_buy.id}/pledge", json=body, headers=token_headers(user))


def _payments(purpose: PaymentPurpose | None = None) -> list[Payment]:
    db.session.expire_all()
    query = sa.select(Payment).order_by(Payment.id)
    if purpose is not None:
        query = query.where(Payment.purpose == purpose)
    return list(db.session.execute(query).scalars())


def _pledge_of(user) -> Pledge:
    db.session.expire_all()
    return db.session.execute(sa.select(Pledge).where(Pledge.user_id == user.id)).scalar_one()


def test_an_offline_deposit_is_owed_to_the_shopkeeper_when_a_member_pledges(client):
    group_buy = make_group_buy(deposit_percent=10)
    member = add_member(group_buy.community)
    page = login_as(client, member).post(f"/c/{group_buy.community.slug}/group-buys/{group_buy.id}/pledge",
                                         data={"quantity": 5, "tolerance": 0,
                                               "pickup_point_id": group_buy.pickup_points[0].id})
    assert page.status_code == 302
    [deposit] = _payments()
    assert (deposit.purpose, deposit.gateway) == (PaymentPurpose.DEPOSIT, "offline")
    assert deposit.status == PaymentStatus.PENDING
    assert deposit.amount == 1650 and deposit.reference == f"pledge:{_pledge_of(member).id}"  # 10 % of 5 × 33.00
    text = client.get(f"/c/{group_buy.community.slug}/group-buys/{group_buy.id}").get_data(as_text=True)
    assert "CN¥0.00 paid of CN¥16.50" in text and "to the shopkeeper" in text


def test_a_deposit_is_rounded_half_up_to_a_minor_unit(client):
    group_buy = make_group_buy(deposit_percent=15)
    answer = _put(client, group_buy, add_member(group_buy.community), quantity=1)  # 15 % of 33.00 = 4.95
    assert answer.json["deposit"]["due"] == 495
    other = make_group_buy(deposit_percent=25, margin_kind="fixed", margin="0.02")  # 25 % of 30.02 = 7.505
    assert _put(client, other, add_member(other.community), quantity=1).json["deposit"]["due"] == 751


def test_a_larger_pledge_asks_for_a_top_up_and_a_smaller_one_refunds_nothing_before_close(client):
    group_buy = make_group_buy(deposit_percent=10)
    member = add_member(group_buy.community)
    _put(client, group_buy, member, quantity=5)
    grown = _put(client, group_buy, member, quantity=8)
    pledge_id = _pledge_of(member).id
    first, top_up = _payments()
    assert (first.amount, top_up.amount) == (1650, 990)  # 10 % of 3 × 33.00 more
    assert (first.idempotency_key, top_up.idempotency_key) == (f"deposit-pledge-{pledge_id}",
                                                                f"deposit-pledge-{pledge_id}-2")
    assert grown.json["deposit"] == {**grown.json["deposit"], "due": 2640, "paid": 0}
    _put(client, group_buy, member, quantity=2)
    _put(client, group_buy, member, quantity=8)  # back up to what is already asked for: nothing new
    assert len(_payments()) == 2


def test_a_card_deposit_is_charged_at_pledge_time_and_saves_the_card_for_the_balance(client, stub):
    group_buy = make_group_buy(deposit_percent=20)
    member = add_member(group_buy.community)
    answer = _put(client, group_buy, member, quantity=2, payment_method=TEST_CARD)
    assert answer.status_code == 200
    assert answer.json["deposit"]["paid"] == 1320 and answer.json["deposit"]["needs_member"] is False
    [intent] = stub.posts("/v1/payment_intents")
    assert intent.params["setup_future_usage"] == "off_session" and intent.params["amount"] == "1320"
    assert intent.idempotency_key == f"deposit-pledge-{_pledge_of(member).id}"
    customer = db.session.execute(sa.select(GatewayCustomer).filter_by(user_id=member.id)).scalar_one()
    assert customer.payment_method_id == TEST_CARD


def test_with_no_deposit_a_card_is_still_saved_with_a_setup_intent(client, stub):
    group_buy = make_group_buy(deposit_percent=0)
    member = add_member(group_buy.community)
    answer = _put(client, group_buy, member, quantity=3, payment_method=TEST_CARD)
    [setup] = stub.posts("/v1/setup_intents")
    assert setup.params["usage"] == "off_session" and not stub.posts("/v1/payment_intents")
    [deposit] = _payments()
    assert deposit.amount == 0 and deposit.status == PaymentStatus.SUCCEEDED
    assert answer.json["deposit"]["due"] == 0
    _put(client, group_buy, member, quantity=4)  # the card is saved: nothing more to set up
    assert len(stub.posts("/v1/setup_intents")) == 1


def test_a_top_up_is_charged_on_the_card_saved_by_the_first_deposit(client, stub):
    group_buy = make_group_buy(deposit_percent=10)
    member = add_member(group_buy.community)
    _put(client, group_buy, member, quantity=5, payment_method=TEST_CARD)
    answer = _put(client, group_buy, member, quantity=6)
    first, top_up = stub.posts("/v1/payment_intents")
    assert top_up.params["payment_method"] == TEST_CARD and top_up.params["amount"] == "330"
    assert answer.json["deposit"]["paid"] == 1980


def test_without_a_card_the_member_is_sent_to_the_pay_page_to_finish_the_deposit(client, stub):
    group_buy = make_group_buy(deposit_percent=10)
    member = add_member(group_buy.community)
    api = _put(client, group_buy, member, quantity=5)
    assert api.json["deposit"]["needs_member"] is True and api.json["deposit"]["client_secret"].startswith("pi_")
    _put(client, group_buy, member, quantity=5)  # asking again starts nothing new
    assert len(stub.posts("/v1/payment_intents")) == 1
    page = login_as(client, member).post(f"/c/{group_buy.community.slug}/group-buys/{group_buy.id}/pledge",
                                         data={"quantity": 5, "pickup_point_id": group_buy.pickup_points[0].id})
    assert page.status_code == 303 and "/pay/" in page.headers["Location"]
    pay_page = client.get(page.headers["Location"])
    assert "Pay your deposit" in pay_page.get_data(as_text=True)
    paid = client.post(page.headers["Location"], data={"attempt": "one", "payment_method": TEST_CARD})
    assert paid.status_code == 303
    [deposit] = _payments()
    assert deposit.status == PaymentStatus.SUCCEEDED
    text = client.get(f"/c/{group_buy.community.slug}/group-buys/{group_buy.id}").get_data(as_text=True)
    assert "CN¥16.50 paid of CN¥16.50" in text


def test_a_declined_card_deposit_keeps_the_pledge_and_says_why(client, stub):
    group_buy = make_group_buy(deposit_percent=10)
    member = add_member(group_buy.community)
    stub.decline("pm_card_broke", "insufficient_funds")
    answer = _put(client, group_buy, member, quantity=5, payment_method="pm_card_broke")
    assert answer.status_code == 200 and answer.json["status"] == "active"
    assert answer.json["deposit"]["waiting_status"] == "failed"
    assert answer.json["deposit"]["reason"] == "The card has insufficient funds."
    text = login_as(client, member).get(f"/c/{group_buy.community.slug}/group-buys/{group_buy.id}").get_data(
        as_text=True)
    assert "The card has insufficient funds." in text and "/pay/" in text


def test_cancelling_refunds_a_paid_card_deposit_and_a_new_pledge_takes_a_fresh_one(client, stub):
    group_buy = make_group_buy(deposit_percent=10)
    member = add_member(group_buy.community)
    _put(client, group_buy, member, quantity=5, payment_method=TEST_CARD)
    assert client.delete(f"/api/v1/group-buys/{group_buy.id}/pledge", headers=token_headers(member)).status_code == 204
    [refund] = _payments(PaymentPurpose.REFUND)
    assert refund.amount == 1650 and refund.status == PaymentStatus.SUCCEEDED
    assert stub.posts("/v1/refunds")[0].params["amount"] == "1650"
    again = _put(client, group_buy, member, quantity=2)
    assert again.json["deposit"]["due"] == 660 and again.json["deposit"]["paid"] == 660  # the saved card
    assert [p.amount for p in _payments(PaymentPurpose.DEPOSIT)] == [1650, 660]


def test_cancelling_cancels_an_offline_deposit_never_received(client):
    group_buy = make_group_buy(deposit_percent=10)
    member = add_member(group_buy.community)
    _put(client, group_buy, member, quantity=5)
    login_as(client, member).post(f"/c/{group_buy.community.slug}/group-buys/{group_buy.id}/pledge/cancel")
    [deposit] = _payments()
    assert deposit.status == PaymentStatus.CANCELLED


def test_a_cancelled_group_buy_gives_every_deposit_back(client, stub):
    group_buy = make_group_buy(deposit_percent=10)
    paid, unpaid = add_member(group_buy.community), add_member(group_buy.community)
    _put(client, group_buy, paid, quantity=5, payment_method=TEST_CARD)
    _put(client, group_buy, unpaid, quantity=1)
    login_as(client, group_buy.community.owner).post(f"/c/{group_buy.community.slug}/group-buys/{group_buy.id}/cancel")
    [refund] = _payments(PaymentPurpose.REFUND)
    assert refund.amount == 1650 and refund.user_id == paid.id
    assert {p.user_id: p.status for p in _payments(PaymentPurpose.DEPOSIT)}[unpaid.id] == PaymentStatus.CANCELLED


def test_an_offer_below_its_moq_refunds_every_paid_card_deposit(client, stub):
    group_buy = make_group_buy(make_offer(moq=50), deposit_percent=10)
    member = add_member(group_buy.community)
    _put(client, group_buy, member, quantity=5, payment_method=TEST_CARD)
    after_close(group_buy.offer)
    assert run_close(group_buy.offer_id) == "failed"
    [refund] = _payments(PaymentPurpose.REFUND)
    assert refund.amount == 1650 and refund.status == PaymentStatus.SUCCEEDED


def test_at_close_an_offline_deposit_never_received_is_cancelled_and_the_balance_asks_for_everything(client):
    group_buy = make_group_buy(make_offer(moq=5, case_pack=1), deposit_percent=10)
    member = add_member(group_buy.community)
    _put(client, group_buy, member, quantity=5)
    after_close(group_buy.offer)
    assert run_close(group_buy.offer_id) == "succeeded"
    [deposit] = _payments(PaymentPurpose.DEPOSIT)
    [balance] = _payments(PaymentPurpose.BALANCE)
    assert deposit.status == PaymentStatus.CANCELLED
    assert balance.amount == 5 * 3300
    assert db.session.execute(sa.select(Order)).scalar_one().deposit_amount == 0


def test_at_close_a_paid_deposit_counts_toward_the_order_and_any_excess_is_refunded(client, stub):
    group_buy = make_group_buy(make_offer(moq=2, case_pack=1), deposit_percent=100)
    keeps, shrinks = add_member(group_buy.community), add_member(group_buy.community)
    _put(client, group_buy, keeps, quantity=2, payment_method=TEST_CARD)
    _put(client, group_buy, shrinks, quantity=3, payment_method="pm_card_mastercard")
    _put(client, group_buy, shrinks, quantity=1)  # paid for 3, pledges 1: nothing back before close
    assert not _payments(PaymentPurpose.REFUND)
    after_close(group_buy.offer)
    assert run_close(group_buy.offer_id) == "succeeded"
    orders = {order.user_id: order for order in db.session.execute(sa.select(Order)).scalars()}
    assert orders[keeps.id].deposit_amount == orders[keeps.id].total_amount == 2 * 3300
    assert orders[shrinks.id].deposit_amount == orders[shrinks.id].total_amount == 3300
    [refund] = _payments(PaymentPurpose.REFUND)
    assert refund.user_id == shrinks.id and refund.amount == 2 * 3300 and refund.status == PaymentStatus.SUCCEEDED
    assert not _payments(PaymentPurpose.BALANCE)  # both paid in full by their deposits
