"""The shopkeeper's payments page: every pledge's deposits, balance and refunds with their status, the
decline reason and grace deadline of a failed card payment, and "Mark paid" for cash or transfers —
the shopkeeper's to press, nobody else's."""

from datetime import timedelta

import sqlalchemy as sa

from core import clock
from core.extensions import db
from payments.jobs import charge_balances
from payments.models import Payment, PaymentPurpose, PaymentStatus
from tests.closing_helpers import after_close, run_close
from tests.factories import add_member, login_as, make_community, token_headers
from tests.groupbuy_factories import make_group_buy, make_offer
from tests.payment_helpers import TEST_CARD, stripe_stub_fixture  # noqa: F401


def _put(client, group_buy, user, quantity: int, **extra):
    return client.put(f"/api/v1/group-buys/{group_buy.id}/pledge", headers=token_headers(user),
                      json={"quantity": quantity, "pickup_point_id": group_buy.pickup_points[0].id, **extra})


def _path(group_buy) -> str:
    return f"/c/{group_buy.community.slug}/group-buys/{group_buy.id}/payments"


def _deposit_of(user) -> Payment:
    db.session.expire_all()
    return db.session.execute(sa.select(Payment).where(Payment.user_id == user.id,
                                                       Payment.purpose == PaymentPurpose.DEPOSIT)).scalar_one()


def test_the_shopkeeper_marks_an_offline_deposit_paid(client):
    group_buy = make_group_buy(deposit_percent=10)
    member = add_member(group_buy.community)
    _put(client, group_buy, member, 5)
    deposit = _deposit_of(member)
    page = login_as(client, group_buy.community.owner).get(_path(group_buy))
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and member.display_name in text and "CN¥16.50" in text and "Mark paid" in text
    answer = client.post(f"{_path(group_buy)}/{deposit.id}/confirm")
    assert answer.status_code == 303
    assert _deposit_of(member).status == PaymentStatus.SUCCEEDED and _deposit_of(member).paid_at is not None
    again = client.get(_path(group_buy)).get_data(as_text=True)
    assert "Mark paid" not in again and "Paid" in again


def test_a_member_can_neither_see_the_page_nor_mark_their_own_deposit_paid(client):
    group_buy = make_group_buy(deposit_percent=10)
    member = add_member(group_buy.community)
    _put(client, group_buy, member, 5)
    deposit = _deposit_of(member)
    login_as(client, member)
    assert client.get(_path(group_buy)).status_code == 403
    assert client.post(f"{_path(group_buy)}/{deposit.id}/confirm").status_code == 403
    assert _deposit_of(member).status == PaymentStatus.PENDING


def test_a_payment_of_another_group_buy_or_community_is_not_found(client):
    group_buy = make_group_buy(deposit_percent=10)
    member = add_member(group_buy.community)
    _put(client, group_buy, member, 5)
    deposit = _deposit_of(member)
    other = make_group_buy(make_offer(), make_community(owner=group_buy.community.owner))
    login_as(client, group_buy.community.owner)
    assert client.post(f"{_path(other)}/{deposit.id}/confirm").status_code == 404
    outsider = make_community()
    login_as(client, outsider.owner)
    assert client.get(_path(group_buy)).status_code == 404
    assert client.post(f"{_path(group_buy)}/{deposit.id}/confirm").status_code == 404
    assert _deposit_of(member).status == PaymentStatus.PENDING


def test_the_shopkeeper_sees_why_a_balance_was_declined_and_until_when_the_member_may_pay(client, stub):
    group_buy = make_group_buy(make_offer(moq=2, case_pack=1), deposit_percent=10)
    member = add_member(group_buy.community)
    _put(client, group_buy, member, 3, payment_method="pm_card_broke")
    stub.decline("pm_card_broke", "insufficient_funds")
    after_close(group_buy.offer)
    run_close(group_buy.offer_id)
    charge_balances(db.session.execute(sa.select(Payment.id).where(
        Payment.purpose == PaymentPurpose.BALANCE)).scalars().all())
    db.session.commit()
    text = login_as(client, group_buy.community.owner).get(_path(group_buy)).get_data(as_text=True)
    assert "The card has insufficient funds." in text and "Declined" in text
    assert "May pay until" in text and "Mark paid" not in text  # card payments are not confirmed by hand
    assert str((clock.now() + timedelta(hours=72)).year) in text


def test_a_refund_owed_in_cash_is_marked_handed_back(client):
    group_buy = make_group_buy(deposit_percent=10)
    member = add_member(group_buy.community)
    _put(client, group_buy, member, 5)
    login_as(client, group_buy.community.owner).post(f"{_path(group_buy)}/{_deposit_of(member).id}/confirm")
    login_as(client, member).post(f"/c/{group_buy.community.slug}/group-buys/{group_buy.id}/pledge/cancel")
    refund = db.session.execute(sa.select(Payment).where(Payment.purpose == PaymentPurpose.REFUND)).scalar_one()
    assert "Mark handed back" in login_as(client, group_buy.community.owner).get(_path(group_buy)).get_data(
        as_text=True)
    client.post(f"{_path(group_buy)}/{refund.id}/confirm")
    db.session.expire_all()
    assert db.session.get(Payment, refund.id).status == PaymentStatus.SUCCEEDED
    assert "Handed back" in client.get(_path(group_buy)).get_data(as_text=True)


def test_the_group_buy_page_links_the_shopkeeper_to_the_payments(client):
    group_buy = make_group_buy()
    text = login_as(client, group_buy.community.owner).get(
        f"/c/{group_buy.community.slug}/group-buys/{group_buy.id}").get_data(as_text=True)
    assert _path(group_buy) in text
