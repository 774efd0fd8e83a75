"""Recommendations: products matched on a member's tags, shown to the shopkeeper on the member page, to
the member beside the feed (the community panel), and through the API."""

from flask import render_template

from core.extensions import db
from shopkeeper.panel import community_panel
from shopkeeper.recommendations import recommend_for_member
from supplier.models import ProductImage
from tests.community_helpers import membership, page_text
from tests.factories import (
    add_member,
    login_as,
    make_community,
    make_pickup_point,
    make_product,
    make_supplier,
    make_tag,
    make_user,
    token_headers,
)


def _world():
    dry, oily, sensitive = make_tag("skin", "dry"), make_tag("skin", "oily"), make_tag("skin", "sensitive")
    supplier = make_supplier()
    make_product(supplier, name="Rose toner", tags=(dry,), retail_price=8800)
    make_product(supplier, name="Gentle balm", tags=(dry, sensitive), retail_price=12000)
    make_product(supplier, name="Clay mask", tags=(oily,))
    make_product(supplier, name="Retired cream", tags=(dry,), active=False)
    owner = make_user()
    community = make_community(owner, slug="garden")
    return owner, community, (dry, oily, sensitive)


def test_a_shopkeeper_tags_a_member_and_sees_matching_products_on_the_member_page(client):
    owner, community, (dry, _oily, sensitive) = _world()
    member = add_member(community, make_user(display_name="Li Na"))
    login_as(client, owner)
    before = page_text(client.get(f"/c/garden/members/{member.id}"))
    assert "Rose toner" not in before and "Tag this member" in before

    client.post(f"/c/garden/members/{member.id}/tags", data={"tag_ids": [str(dry.id), str(sensitive.id)]})
    page = page_text(client.get(f"/c/garden/members/{member.id}"))

    shown = page.split('data-testid="recommendations"')[1].split("</ul>")[0]
    assert shown.index("Gentle balm") < shown.index("Rose toner")  # two matching tags before one
    assert "Clay mask" not in shown and "Retired cream" not in shown
    assert "¥120.00" in shown and "¥88.00" in shown


def test_recommendations_follow_the_members_own_tags_and_respect_the_limit():
    _owner, community, (dry, oily, _sensitive) = _world()
    member = add_member(community, tags=(oily,))
    names = [rec.product.name for rec in recommend_for_member(membership(community, member))]
    assert names == ["Clay mask"]
    untagged = add_member(community)
    assert recommend_for_member(membership(community, untagged)) == []
    both = add_member(community, tags=(dry, oily))
    assert len(recommend_for_member(membership(community, both), limit=2)) == 2


def test_the_community_panel_shows_pickup_points_recommendations_and_the_shopkeepers_links(app):
    owner, community, (dry, _oily, _sensitive) = _world()
    make_pickup_point(community, name="Gate house", opening_hours="Sat 10:00–12:00")
    make_pickup_point(community, name="Closed shop", active=False)
    product = make_product(make_supplier(), name="Pictured soap", tags=(dry,))
    db.session.add(ProductImage(product_id=product.id, filename="soap.jpg", alt="Soap"))
    db.session.commit()
    member = add_member(community, tags=(dry,))

    with app.test_request_context():
        as_member = render_template("shopkeeper/_community_panel.html",
                                    panel=community_panel(member, community, membership(community, member)))
        as_owner = render_template("shopkeeper/_community_panel.html",
                                   panel=community_panel(owner, community, membership(community, owner)))

    assert "Gate house" in as_member and "Sat 10:00–12:00" in as_member and "Closed shop" not in as_member
    assert "Recommended for you" in as_member and "Pictured soap" in as_member
    assert "/uploads/soap.jpg" in as_member and "¥15.00" in as_member
    assert "/c/garden/members" not in as_member
    for link in ("/c/garden/members", "/c/garden/invites", "/c/garden/settings"):
        assert link in as_owner


def test_the_api_gives_recommendations_to_the_shopkeeper_and_to_the_member_themself(client):
    owner, community, (dry, _oily, _sensitive) = _world()
    member = add_member(community, tags=(dry,))
    other = add_member(community, tags=(dry,))
    url = f"/api/v1/communities/garden/members/{member.id}/recommendations"

    shown = client.get(url, headers=token_headers(owner))
    assert shown.status_code == 200
    assert [(r["name"], r["retail_price"], r["currency"]) for r in shown.json][:1] == [("Gentle balm", 12000, "CNY")]
    assert len(client.get(url, headers=token_headers(member)).json) == 2
    assert client.get(url, headers=token_headers(other)).status_code == 404
    assert client.get(url, headers=token_headers(make_user())).status_code == 404
