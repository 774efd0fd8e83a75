"""Telling cards apart (issue #6, the invite rewards' "same card" rule): a card saved by a deposit keeps
Stripe's fingerprint of it, read from the expanded PaymentMethod of the very answer that saved it, so the
same card number saved by two accounts (two payment method ids) is one card. Where only a webhook told us
the card (an id, no fingerprint), a job reads the PaymentMethod once the webhook is recorded; while Stripe
cannot tell, the saved payment method id decides."""

from __future__ import annotations

from core.extensions import db
from payments import services
from payments.jobs import learn_card_fingerprint
from payments.models import GatewayCustomer, PaymentPurpose, PaymentStatus
from payments.stripe_gateway import stripe_gateway
from referral.models import ReferralStatus
from tests.factories import add_member, make_user
from tests.payment_helpers import deliver, fresh, make_payment, paid_deposit, stripe_stub_fixture  # noqa: F401
from tests.stripe_stub import expanded
from tests.test_referrals import community_fixture, first_order_picked_up, friend_joins, referral_of  # noqa: F401


def _saved_card(user) -> tuple[str | None, str | None]:
    db.session.expire_all()
    customer = db.session.execute(db.select(GatewayCustomer).filter_by(user_id=user.id)).scalar_one()
    return customer.payment_method_id, customer.card_fingerprint


def _paid_in_the_browser(client, stub, user, card: str, *, stripe_down_after: bool = False) -> None:
    """A deposit the member pays on the pay page: Stripe.js confirms it straight at Stripe and our app
    hears of it only from the webhook, whose PaymentIntent names the card by id (then, with
    ``stripe_down_after``, Stripe cannot be reached for the card's fingerprint)."""
    deposit = make_payment(PaymentPurpose.DEPOSIT, user=user, amount=500)
    services.take_deposit(deposit.id)
    db.session.commit()
    assert stripe_gateway().confirm_on_session(fresh(deposit), "browser", card).status == PaymentStatus.SUCCEEDED
    event = stub.event("payment_intent.succeeded", fresh(deposit).gateway_id)
    assert isinstance(event["data"]["object"]["payment_method"], str)
    if stripe_down_after:
        stub.fail_next(500)
    assert deliver(client, event).status_code == 200
    assert fresh(deposit).status == PaymentStatus.SUCCEEDED


def test_a_deposit_saves_the_fingerprint_of_its_card_from_the_expanded_answer(community, stub):
    member = add_member(community)
    stub.fingerprints["pm_card_visa"] = "fpVisaOfMember01"
    paid_deposit(member, card="pm_card_visa")

    assert _saved_card(member) == ("pm_card_visa", "fpVisaOfMember01")
    [created] = stub.posts("/v1/payment_intents")
    assert expanded(created.params) == {"payment_method"}


def test_a_zero_deposit_saves_the_fingerprint_through_its_setup_intent(community, stub):
    member = add_member(community)
    stub.fingerprints["pm_card_mastercard"] = "fpMastercard0001"
    paid_deposit(member, card="pm_card_mastercard", amount=0)

    assert _saved_card(member) == ("pm_card_mastercard", "fpMastercard0001")
    assert expanded(stub.posts("/v1/setup_intents")[0].params) == {"payment_method"}


def test_reading_an_intent_again_also_tells_its_card(community, stub):
    member = add_member(community)
    stub.fingerprints["pm_card_visa"] = "fpReadAgain00001"
    deposit = paid_deposit(member, card="pm_card_visa")

    result = stripe_gateway().retrieve(fresh(deposit))
    assert (result.payment_method_id, result.card_fingerprint) == ("pm_card_visa", "fpReadAgain00001")
    [read] = [r for r in stub.requests if r.method == "GET"]
    assert expanded(read.params) == {"payment_method"}


def test_one_card_saved_by_two_accounts_is_the_same_card(community, stub):
    inviter = add_member(community)
    friend = friend_joins(community, inviter)
    stub.fingerprints.update(pm_card_inviters_copy="fpOneCardTwoIds1", pm_card_friends_copy="fpOneCardTwoIds1")
    paid_deposit(inviter, card="pm_card_inviters_copy")
    paid_deposit(friend, card="pm_card_friends_copy")
    first_order_picked_up(community, friend)

    referral = referral_of(friend)
    assert (referral.status, referral.reason) == (ReferralStatus.REJECTED, "same_card")


def test_two_different_cards_are_not_the_same_card(community, stub):
    inviter = add_member(community)
    friend = friend_joins(community, inviter)
    stub.fingerprints.update(pm_card_inviters="fpInvitersCard01", pm_card_friends="fpFriendsCard001")
    paid_deposit(inviter, card="pm_card_inviters")
    paid_deposit(friend, card="pm_card_friends")
    first_order_picked_up(community, friend)

    referral = referral_of(friend)
    assert (referral.status, referral.reason) == (ReferralStatus.PAID, "")


def test_known_fingerprints_decide_even_when_the_payment_method_ids_match(community):
    """Fingerprints, when both are known, are the card; the payment method id is only the fallback."""
    inviter = add_member(community)
    friend = friend_joins(community, inviter)
    db.session.add_all([
        GatewayCustomer(user_id=inviter.id, gateway="stripe", customer_id="cus_inviter",
                        payment_method_id="pm_reused", card_fingerprint="fpInvitersCard01"),
        GatewayCustomer(user_id=friend.id, gateway="stripe", customer_id="cus_friend",
                        payment_method_id="pm_reused", card_fingerprint="fpFriendsCard001")])
    db.session.commit()
    first_order_picked_up(community, friend)

    assert referral_of(friend).status == ReferralStatus.PAID


def test_a_card_known_only_from_a_webhook_gets_its_fingerprint_from_stripe_afterwards(client, community, stub):
    inviter = add_member(community)
    friend = friend_joins(community, inviter)
    stub.fingerprints.update(pm_card_inviters_copy="fpOneCardTwoIds1", pm_card_friends_copy="fpOneCardTwoIds1")
    _paid_in_the_browser(client, stub, inviter, "pm_card_inviters_copy")
    assert _saved_card(inviter) == ("pm_card_inviters_copy", "fpOneCardTwoIds1")
    assert [r.path for r in stub.requests if r.method == "GET"] == ["/v1/payment_methods/pm_card_inviters_copy"]
    paid_deposit(friend, card="pm_card_friends_copy")
    first_order_picked_up(community, friend)

    referral = referral_of(friend)
    assert (referral.status, referral.reason) == (ReferralStatus.REJECTED, "same_card")
    assert learn_card_fingerprint(inviter.id, "stripe", "pm_card_inviters_copy") is False  # once is enough


def test_while_stripe_cannot_tell_the_fingerprint_the_payment_method_id_decides(client, community, stub):
    inviter = add_member(community)
    friend = friend_joins(community, inviter)
    _paid_in_the_browser(client, stub, inviter, "pm_card_shared", stripe_down_after=True)
    paid_deposit(friend, card="pm_card_shared")
    assert _saved_card(inviter) == ("pm_card_shared", None)
    assert _saved_card(friend)[1] is not None
    first_order_picked_up(community, friend)

    referral = referral_of(friend)
    assert (referral.status, referral.reason) == (ReferralStatus.REJECTED, "same_card")


def test_a_webhook_about_the_same_card_keeps_its_fingerprint_and_one_about_a_new_card_reads_its_own(client, stub):
    member = make_user()
    stub.fingerprints.update(pm_card_visa="fpVisaKept000001", pm_card_mastercard="fpMastercard0002")
    paid_deposit(member, card="pm_card_visa")
    assert _saved_card(member) == ("pm_card_visa", "fpVisaKept000001")

    _paid_in_the_browser(client, stub, member, "pm_card_visa")
    assert _saved_card(member) == ("pm_card_visa", "fpVisaKept000001")
    assert not [r for r in stub.requests if r.method == "GET"]  # known already: Stripe is not asked

    _paid_in_the_browser(client, stub, member, "pm_card_mastercard", stripe_down_after=True)
    assert _saved_card(member) == ("pm_card_mastercard", None)  # not the visa's any more, not known yet
    assert learn_card_fingerprint(member.id, "stripe", "pm_card_mastercard") is True  # Stripe is back
    db.session.commit()
    assert _saved_card(member) == ("pm_card_mastercard", "fpMastercard0002")
