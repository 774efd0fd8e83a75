"""The growth API (issue #6): store credit and its use on orders, reviews and lucky draws under /api/v1,
through the same services as the pages — what the API answers is what the ledger, the payments, the
reviews and the draws say; outsiders get the pages' 404s; bad input is a 422 with nothing written."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import sqlalchemy as sa
from werkzeug.datastructures import FileStorage

from core.extensions import db
from orders.models import OrderStatus
from payments.models import PaymentStatus
from referral import checkout, credit, draws, reviews
from referral.models import Approval, CreditEntry, CreditSource, LuckyDraw, Review, ReviewStatus
from supplier.models import Variant
from tests.factories import add_member, count, make_community, make_user, token_headers
from tests.test_credit_checkout import balance_of, closed_group_buy, give, order_and_balance
from tests.test_lucky_draws import _draw, _when_due
from tests.test_reviews import bought, campaign, jpeg_with_gps


def _waiting_order(client, credit_amount: int = 0):
    """A member whose group-buy balance waits to be paid at pickup, holding ``credit_amount`` of credit
    earned after the close. Returns (member, community, order, payment)."""
    member, community_id = closed_group_buy(client, 0, card=False)
    if credit_amount:
        give(member, community_id, credit_amount)
    order, payment = order_and_balance(member)
    return member, order.community, order, payment


# Store credit

def test_the_credit_answer_is_the_balance_the_ledger_and_the_orders_credit_may_still_pay(client):
    member, community, order, payment = _waiting_order(client, 700)
    owed = payment.amount
    answer = client.get(f"/api/v1/communities/{community.slug}/credit", headers=token_headers(member))
    assert answer.status_code == 200, answer.json
    body = answer.json
    assert (body["balance"], body["currency"], body["auto_apply"]) == (700, community.currency, True)
    assert body["balance"] == credit.balance(member.id, community.id) == credit.ledger_sum(member.id, community.id)
    [entry] = body["entries"]
    assert (entry["amount"], entry["source"], entry["order_id"]) == (700, "review_reward", None)
    assert entry["id"] == credit.entries(member.id, community.id)[0].id and entry["created_at"]
    [waiting] = body["waiting"]
    assert waiting["order_id"] == order.id
    assert waiting["payment"] == {"id": payment.id, "order_id": order.id, "amount": owed, "covered_amount": 0,
                                  "currency": payment.currency, "status": "pending"}
    assert [item.payment.id for item in checkout.waiting_orders(member, community)] == [payment.id]


def test_applying_credit_through_the_api_spends_it_and_lowers_the_payment_by_as_much(client):
    member, community, order, payment = _waiting_order(client, 700)
    owed, headers = payment.amount, token_headers(member)
    url = f"/api/v1/communities/{community.slug}/credit/orders/{order.id}/apply"
    answer = client.post(url, headers=headers)
    assert answer.status_code == 200, answer.json
    assert (answer.json["spent"], answer.json["balance"]) == (700, 0)
    assert answer.json["payment"] == {"id": payment.id, "order_id": order.id, "amount": owed - 700,
                                      "covered_amount": 700, "currency": payment.currency, "status": "pending"}

    order, payment = order_and_balance(member)
    assert (payment.amount, payment.covered_amount) == (owed - 700, 700)
    assert balance_of(member, community.id) == 0
    spend = db.session.execute(sa.select(CreditEntry).where(CreditEntry.source == CreditSource.SPEND)).scalar_one()
    assert (spend.amount, spend.order_id) == (-700, order.id)
    shown = client.get(f"/api/v1/communities/{community.slug}/credit", headers=headers).json
    assert shown["entries"][0] == {**shown["entries"][0], "amount": -700, "source": "spend", "order_id": order.id}
    assert shown["waiting"][0]["payment"]["covered_amount"] == 700

    again = client.post(url, headers=headers)  # no credit left: nothing more is spent
    assert again.status_code == 200 and again.json["spent"] == 0
    assert order_and_balance(member)[1].covered_amount == 700


def test_credit_covering_the_whole_balance_pays_the_order_and_then_nothing_is_coverable(client):
    member, community, order, payment = _waiting_order(client, 100_000)
    owed, headers = payment.amount, token_headers(member)
    url = f"/api/v1/communities/{community.slug}/credit/orders/{order.id}/apply"
    answer = client.post(url, headers=headers)
    assert answer.status_code == 200
    assert answer.json["spent"] == owed and answer.json["balance"] == 100_000 - owed
    assert (answer.json["payment"]["amount"], answer.json["payment"]["status"]) == (0, "succeeded")
    order, payment = order_and_balance(member)
    assert (payment.status, order.status, payment.covered_amount) == (PaymentStatus.SUCCEEDED, OrderStatus.PAID, owed)

    refused = client.post(url, headers=headers)
    assert refused.status_code == 409 and refused.json["error"]["code"] == "not_coverable"
    assert balance_of(member, community.id) == 100_000 - owed


def test_credit_is_applied_only_to_ones_own_orders_in_that_community(client):
    member, community, order, payment = _waiting_order(client, 700)
    stranger = add_member(community)
    give(stranger, community.id, 500)
    url = f"/api/v1/communities/{community.slug}/credit/orders/{order.id}/apply"
    refused = client.post(url, headers=token_headers(stranger))
    assert refused.status_code == 404 and refused.json["error"]["code"] == "not_found"
    unknown = client.post(f"/api/v1/communities/{community.slug}/credit/orders/999999/apply",
                          headers=token_headers(member))
    assert unknown.status_code == 404
    elsewhere = make_community(member)  # the member's own order, asked for under another community
    assert client.post(f"/api/v1/communities/{elsewhere.slug}/credit/orders/{order.id}/apply",
                       headers=token_headers(member)).status_code == 404
    outsider = make_user()
    assert client.post(url, headers=token_headers(outsider)).status_code == 404
    assert client.get(f"/api/v1/communities/{community.slug}/credit",
                      headers=token_headers(outsider)).status_code == 404
    assert client.get("/api/v1/communities/no-such-place/credit", headers=token_headers(member)).status_code == 404
    assert order_and_balance(member)[1].covered_amount == 0
    assert balance_of(member, community.id) == 700 and balance_of(stranger, community.id) == 500


def test_the_auto_apply_switch_is_the_services_and_refuses_anything_but_a_boolean(client):
    community = make_community()
    member = add_member(community)
    headers = token_headers(member)
    url = f"/api/v1/communities/{community.slug}/credit/auto-apply"
    answer = client.put(url, json={"auto_apply": False}, headers=headers)
    assert answer.status_code == 200 and answer.json == {"auto_apply": False}
    assert checkout.auto_applies(member, community) is False
    assert client.get(f"/api/v1/communities/{community.slug}/credit", headers=headers).json["auto_apply"] is False

    for bad in ({}, {"auto_apply": "maybe"}, {"auto_apply": [True]}, {"auto_apply": False, "extra": 1}):
        refused = client.put(url, json=bad, headers=headers)
        assert refused.status_code == 422, bad
        assert refused.json["error"]["code"] == "invalid" and refused.json["error"]["fields"]
    not_json = client.put(url, data="auto_apply=on", headers=headers, content_type="application/json")
    assert not_json.status_code == 400 and not_json.json["error"]["code"] == "bad_request"  # not JSON at all
    db.session.expire_all()
    assert checkout.auto_applies(member, community) is False
    assert client.put(url, json={"auto_apply": True}, headers=token_headers(make_user())).status_code == 404


# Reviews

def test_a_variants_reviews_are_the_approved_ones_with_photos_and_no_reviewer(client):
    community = make_community()
    campaign(community, approval=Approval.AUTOMATIC)
    reviewer, line_id, _ = bought(community)
    shown = reviews.submit(reviewer, line_id, rating=4, text="Sweet and ripe mangoes", photos=[jpeg_with_gps()])
    waiting_community = make_community()
    campaign(waiting_community)
    other, other_line, _ = bought(waiting_community)
    pending = reviews.submit(other, other_line, rating=2, text="Waiting for the shopkeeper")
    db.session.commit()
    reader = add_member(community)
    headers = token_headers(reader)

    answer = client.get(f"/api/v1/communities/{community.slug}/reviews?variant_id={shown.variant_id}",
                        headers=headers)
    assert answer.status_code == 200, answer.json
    [review] = answer.json
    assert review == {"id": shown.id, "variant_id": shown.variant_id, "rating": 4, "text": "Sweet and ripe mangoes",
                      "photo_urls": [f"/uploads/{shown.photos[0].filename}"], "verified_buyer": True,
                      "created_at": review["created_at"]}
    assert [r["id"] for r in answer.json] == [r.id for r in reviews.shown_for_variant(shown.variant_id)]
    assert reviewer.display_name not in answer.get_data(as_text=True)
    assert client.get(review["photo_urls"][0], headers=headers).status_code == 200
    assert client.get(f"/api/v1/communities/{community.slug}/reviews?variant_id={pending.variant_id}",
                      headers=headers).json == []  # pending: not shown yet


def test_variant_reviews_refuse_outsiders_unknown_variants_and_a_missing_id(client):
    community = make_community()
    member, _line_id, _ = bought(community)
    headers = token_headers(member)
    url = f"/api/v1/communities/{community.slug}/reviews"
    assert client.get(f"{url}?variant_id=999999", headers=headers).status_code == 404
    for bad in ("", "?variant_id=abc", "?variant_id=0", f"?variant_id={2**40}"):
        refused = client.get(url + bad, headers=headers)
        assert refused.status_code == 422 and "variant_id" in refused.json["error"]["fields"], bad
    assert client.get(f"{url}?variant_id=1", headers=token_headers(make_user())).status_code == 404


def test_a_products_reviews_come_from_every_community_with_the_rating_summary(client):
    first, second = make_community(), make_community()
    reviewer, line_id, _ = bought(first)
    review = reviews.submit(reviewer, line_id, rating=5, text="Perfect, will buy again!")
    db.session.commit()
    product_id = db.session.get(Variant, review.variant_id).product_id
    reader = add_member(second)
    answer = client.get(f"/api/v1/products/{product_id}/reviews", headers=token_headers(reader))
    assert answer.status_code == 200, answer.json
    assert (answer.json["count"], answer.json["average_rating"]) == reviews.product_rating(product_id) == (1, 5.0)
    assert [r["id"] for r in answer.json["reviews"]] == [review.id]
    assert reviewer.display_name not in answer.get_data(as_text=True)
    assert client.get("/api/v1/products/999999/reviews", headers=token_headers(reader)).status_code == 404


def _review_form(line_id, **overrides) -> dict:
    return {"order_line_id": str(line_id), "rating": "5", "text": "Lovely lychees, very fresh"} | overrides


def test_a_buyer_reviews_a_picked_up_line_with_a_photo_and_the_reward_is_paid(client, app):
    community = make_community()
    campaign(community, approval=Approval.AUTOMATIC, photo=True)
    member, line_id, _ = bought(community)
    headers = token_headers(member)
    url = f"/api/v1/communities/{community.slug}/reviews"
    answer = client.post(url, headers=headers, content_type="multipart/form-data",
                         data=_review_form(line_id, photos=[jpeg_with_gps()]))
    assert answer.status_code == 201, answer.json
    review = db.session.execute(sa.select(Review)).scalar_one()
    assert answer.json == {**answer.json, "id": review.id, "order_line_id": line_id, "rating": 5,
                           "status": "approved", "rewarded": True, "verified_buyer": True}
    [photo_url] = answer.json["photo_urls"]
    assert photo_url == f"/uploads/{review.photos[0].filename}"
    assert Path(app.config["UPLOAD_FOLDER"], review.photos[0].filename).is_file()
    assert balance_of(member, community.id) == 500

    again = client.post(url, headers=headers, content_type="multipart/form-data", data=_review_form(line_id))
    assert again.status_code == 409 and again.json["error"]["code"] == "already_reviewed"
    assert count(Review) == 1 and balance_of(member, community.id) == 500


def test_a_review_waiting_for_the_shopkeeper_says_so_and_pays_nothing_yet(client):
    community = make_community()
    campaign(community)
    member, line_id, _ = bought(community)
    answer = client.post(f"/api/v1/communities/{community.slug}/reviews", headers=token_headers(member),
                         content_type="multipart/form-data", data=_review_form(line_id))
    assert answer.status_code == 201
    assert (answer.json["status"], answer.json["rewarded"], answer.json["photo_urls"]) == ("pending", False, [])
    assert db.session.execute(sa.select(Review.status)).scalar_one() == ReviewStatus.PENDING


def test_bad_review_input_is_a_422_on_its_field_and_nothing_is_written(client):
    community = make_community()
    campaign(community, approval=Approval.AUTOMATIC)
    member, line_id, _ = bought(community)
    headers = token_headers(member)
    url = f"/api/v1/communities/{community.slug}/reviews"
    cases = [(_review_form(line_id, rating="9"), "rating"), (_review_form(line_id, rating="five"), "rating"),
             ({"rating": "5"}, "order_line_id"), (_review_form(line_id, text="x" * 2001), "text"),
             (_review_form(line_id, photos="not a file"), "photos")]
    for data, field in cases:
        refused = client.post(url, headers=headers, content_type="multipart/form-data", data=data)
        assert refused.status_code == 422, (data, refused.json)
        assert field in refused.json["error"]["fields"], (field, refused.json)
    fake = FileStorage(io.BytesIO(b"<html><script>alert(1)</script></html>"), filename="photo.jpg")
    refused = client.post(url, headers=headers, content_type="multipart/form-data",
                          data=_review_form(line_id, photos=[jpeg_with_gps(), fake]))
    assert refused.status_code == 422 and refused.json["error"]["code"] == "bad_image"
    assert "photos" in refused.json["error"]["fields"]
    too_many = client.post(url, headers=headers, content_type="multipart/form-data",
                           data=_review_form(line_id, photos=[jpeg_with_gps() for _ in range(reviews.MAX_PHOTOS + 1)]))
    assert too_many.status_code == 422 and too_many.json["error"]["code"] == "too_many_photos"
    assert count(Review) == 0 and balance_of(member, community.id) == 0


def test_only_the_buyer_who_picked_it_up_reviews_and_only_in_its_community(client):
    community = make_community()
    member, line_id, _ = bought(community)
    waiting, waiting_line, _ = bought(community, picked_up=False)
    url = f"/api/v1/communities/{community.slug}/reviews"

    def post(user, line, slug_url=url):
        return client.post(slug_url, headers=token_headers(user), content_type="multipart/form-data",
                           data=_review_form(line))

    stranger = add_member(community)
    assert post(stranger, line_id).status_code == 404
    assert post(member, 999999).status_code == 404
    early = post(waiting, waiting_line)
    assert early.status_code == 403 and early.json["error"]["code"] == "not_verified_buyer"
    elsewhere = make_community(member)  # a community the buyer runs, but the line is not of it
    assert post(member, line_id, f"/api/v1/communities/{elsewhere.slug}/reviews").status_code == 404
    assert post(make_user(), line_id).status_code == 404  # not a member
    assert count(Review) == 0


# Lucky draws

def test_a_draw_shows_only_its_commitment_before_and_everything_to_recompute_after(client):
    community = make_community()
    members = [add_member(community, make_user(display_name=name)) for name in ("Lucky Lin", "Chen Jie", "Ana")]
    lucky = _draw(community, winners=2)
    headers = token_headers(members[0])
    url = f"/api/v1/communities/{community.slug}/draws/{lucky.id}"

    before = client.get(url, headers=headers)
    assert before.status_code == 200, before.json
    assert (before.json["status"], before.json["seed_hash"]) == ("scheduled", lucky.seed_hash)
    assert before.json["winners"] == 2
    assert "seed" not in before.json and "entries" not in before.json and lucky.seed not in before.get_data(True)

    _when_due(lucky)
    assert draws.draw(lucky.id) == "drawn"
    db.session.commit()
    after = client.get(url, headers=headers).json
    audit = draws.audit(db.session.get(LuckyDraw, lucky.id))
    assert after["seed"] == audit["seed"] and hashlib.sha256(after["seed"].encode()).hexdigest() == lucky.seed_hash
    assert after["entries"] == audit["entries"] and sorted(e["rank"] for e in after["entries"]) == [1, 2, 3]
    assert after["winner_names"] == audit["winner_names"] and len(after["winner_names"]) == 2
    assert set(after["winner_names"]) <= {"Lucky Lin", "Chen Jie", "Ana"} and after["recompute"]
    assert after["status"] == "drawn" and after["drawn_at"]


def test_a_draw_is_for_its_communitys_members_only(client):
    community, other = make_community(), make_community()
    lucky = _draw(community)
    member = add_member(community)
    headers = token_headers(member)
    assert client.get(f"/api/v1/communities/{community.slug}/draws/{lucky.id}",
                      headers=token_headers(make_user())).status_code == 404
    add_member(other, member)
    assert client.get(f"/api/v1/communities/{other.slug}/draws/{lucky.id}", headers=headers).status_code == 404
    assert client.get(f"/api/v1/communities/{community.slug}/draws/999999", headers=headers).status_code == 404
    assert client.get(f"/api/v1/communities/{community.slug}/draws/{lucky.id}", headers=headers).status_code == 200
