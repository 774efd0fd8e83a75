"""The platform operator onboards suppliers, their staff and shopkeepers, and keeps the tag taxonomy."""

import sqlalchemy as sa

from accounts.models import Role, User
from core.extensions import db
from supplier.models import Supplier, SupplierStaff, Tag
from supplier.taxonomy import STANDARD_TAXONOMY, ensure_standard_taxonomy
from tests.catalog_helpers import count, fresh, make_operator
from tests.factories import (
    add_member,
    login_as,
    make_community,
    make_product,
    make_supplier,
    make_tag,
    make_user,
    token_headers,
)


def _roles(user_id: int) -> list[str]:
    return fresh(User, user_id).role_names


def test_the_operator_sees_the_platform_at_a_glance(client):
    make_supplier()
    community = make_community()
    add_member(community)
    add_member(community)
    login_as(client, make_operator())
    page = client.get("/operator").get_data(as_text=True)
    assert 'data-testid="count-suppliers">1<' in page
    assert 'data-testid="count-shopkeepers">1<' in page
    assert 'data-testid="count-communities">1<' in page
    assert 'data-testid="count-members">3<' in page


def test_only_operators_reach_the_operator_pages(client):
    login_as(client, make_user(roles=(Role.SHOPKEEPER, Role.SUPPLIER)))
    for url in ("/operator", "/operator/suppliers", "/operator/tags", "/operator/shopkeepers"):
        assert client.get(url).status_code == 403, url
    assert client.post("/operator/suppliers/new", data={"name": "X", "slug": "x", "currency": "CNY"}).status_code == 403
    assert count(Supplier) == 0


def test_the_operator_onboards_a_supplier_and_its_staff(client):
    operator = make_operator()
    mei = make_user(email="mei@example.com")
    login_as(client, operator)

    response = client.post("/operator/suppliers/new", data={
        "name": "Green Orchard", "slug": "green-orchard", "description": "Apples.", "currency": "CNY"})
    assert response.status_code == 302
    supplier = db.session.execute(sa.select(Supplier)).scalar_one()
    assert (supplier.slug, supplier.currency) == ("green-orchard", "CNY")

    response = client.post(f"/operator/suppliers/{supplier.id}/staff", data={"email": "MEI@example.com"})
    assert response.status_code == 302
    assert "supplier" in _roles(mei.id)
    assert "Green Orchard" in client.get("/operator/suppliers").get_data(as_text=True)

    mei_client = client.application.test_client()
    login_as(mei_client, mei)
    assert "Green Orchard" in mei_client.get("/catalog").get_data(as_text=True)

    unknown = client.post(f"/operator/suppliers/{supplier.id}/staff", data={"email": "nobody@example.com"})
    assert unknown.status_code == 422 and "No account uses this email" in unknown.get_data(as_text=True)

    response = client.post(f"/operator/suppliers/{supplier.id}", data={
        "name": "Green Orchard Co", "slug": "green-orchard", "description": "", "currency": "USD"})
    assert response.status_code == 302
    assert (fresh(Supplier, supplier.id).name, fresh(Supplier, supplier.id).currency) == ("Green Orchard Co", "USD")


def test_a_taken_or_malformed_supplier_address_is_refused(client):
    make_supplier()
    taken = db.session.execute(sa.select(Supplier.slug)).scalar_one()
    login_as(client, make_operator())
    response = client.post("/operator/suppliers/new", data={"name": "Twin", "slug": taken, "currency": "CNY"})
    assert response.status_code == 409 and "already uses this address" in response.get_data(as_text=True)
    for slug in ("Has Spaces", "-leading", "trailing-", "ünïcode"):
        response = client.post("/operator/suppliers/new", data={"name": "Twin", "slug": slug, "currency": "CNY"})
        assert response.status_code == 422, slug
    assert client.post("/operator/suppliers/new",
                       data={"name": "Twin", "slug": "twin", "currency": "XXX"}).status_code == 422
    assert count(Supplier) == 1


def test_a_supplier_currency_is_fixed_once_it_has_prices(client):
    supplier = make_supplier(currency="CNY")
    make_product(supplier)
    login_as(client, make_operator())
    response = client.post(f"/operator/suppliers/{supplier.id}", data={
        "name": supplier.name, "slug": supplier.slug, "description": "", "currency": "EUR"})
    assert response.status_code == 409 and "cannot change" in response.get_data(as_text=True)
    assert fresh(Supplier, supplier.id).currency == "CNY"


def test_removing_the_last_supplier_link_revokes_the_supplier_role(client):
    mei = make_user()
    first, second = make_supplier(staff=(mei,)), make_supplier(staff=(mei,))
    login_as(client, make_operator())

    assert client.post(f"/operator/suppliers/{first.id}/staff/{mei.id}/remove").status_code == 302
    assert "supplier" in _roles(mei.id)
    assert client.post(f"/operator/suppliers/{second.id}/staff/{mei.id}/remove").status_code == 302
    assert "supplier" not in _roles(mei.id)
    assert count(SupplierStaff) == 0
    assert client.post(f"/operator/suppliers/{second.id}/staff/{mei.id}/remove").status_code == 404


def test_the_operator_onboards_and_offboards_a_shopkeeper(client):
    li = make_user(email="li@example.com", display_name="Li")
    login_as(client, make_operator())
    assert client.post("/operator/shopkeepers", data={"email": "li@example.com"}).status_code == 302
    assert "shopkeeper" in _roles(li.id)
    assert "li@example.com" in client.get("/operator/shopkeepers").get_data(as_text=True)
    assert client.post("/operator/shopkeepers", data={"email": "li@example.com"}).status_code == 302
    assert _roles(li.id).count("shopkeeper") == 1

    assert client.post(f"/operator/shopkeepers/{li.id}/revoke").status_code == 302
    assert "shopkeeper" not in _roles(li.id)
    assert client.post(f"/operator/shopkeepers/{li.id}/revoke").status_code == 404
    assert client.post("/operator/shopkeepers", data={"email": "ghost@example.com"}).status_code == 422


def test_the_operator_edits_the_taxonomy(client):
    login_as(client, make_operator())
    response = client.post("/operator/tags", data={"namespace": "Skin", "value": "mature", "label_en": "Mature skin",
                                                   "label_zh": "熟龄肌肤"})
    assert response.status_code == 302
    tag = db.session.execute(sa.select(Tag)).scalar_one()
    assert (tag.code, tag.label_zh, tag.active) == ("skin:mature", "熟龄肌肤", True)
    assert "熟龄肌肤" in client.get("/operator/tags").get_data(as_text=True)

    response = client.post(f"/operator/tags/{tag.id}", data={"namespace": "skin", "value": "mature",
                                                            "label_en": "Mature", "label_zh": "熟龄", "active": "y"})
    assert response.status_code == 302
    assert fresh(Tag, tag.id).label_en == "Mature"

    assert client.post(f"/operator/tags/{tag.id}/deactivate").status_code == 302
    assert fresh(Tag, tag.id).active is False
    staff = make_user()
    supplier = make_supplier(staff=(staff,))
    staff_client = client.application.test_client()
    login_as(staff_client, staff)
    assert "熟龄" not in staff_client.get(f"/catalog/suppliers/{supplier.id}/products/new").get_data(as_text=True)
    refused = staff_client.post(f"/catalog/suppliers/{supplier.id}/products/new",
                                data={"name": "Serum", "tag_ids": [tag.id]})
    assert refused.status_code == 422

    assert client.post(f"/operator/tags/{tag.id}/activate").status_code == 302
    assert fresh(Tag, tag.id).active is True


def test_a_duplicate_or_malformed_tag_is_refused_clearly(client):
    make_tag("skin", "dry")
    login_as(client, make_operator())
    response = client.post("/operator/tags", data={"namespace": "skin", "value": "dry", "label_en": "Dry",
                                                   "label_zh": "干"})
    assert response.status_code == 409
    assert "The tag skin:dry already exists." in response.get_data(as_text=True)
    response = client.post("/operator/tags", data={"namespace": "skin", "value": "very dry!", "label_en": "Dry",
                                                   "label_zh": "干"})
    assert response.status_code == 422 and "lowercase letters, digits and hyphens" in response.get_data(as_text=True)
    assert count(Tag) == 1

    other = make_tag("skin", "oily")
    renamed = client.post(f"/operator/tags/{other.id}", data={"namespace": "skin", "value": "dry",
                                                              "label_en": "X", "label_zh": "X", "active": "y"})
    assert renamed.status_code == 409 and fresh(Tag, other.id).value == "oily"


def test_the_standard_taxonomy_is_created_once(runner):
    created = ensure_standard_taxonomy()
    db.session.commit()
    expected = sum(len(values) for values in STANDARD_TAXONOMY.values())
    assert len(created) == expected == count(Tag)
    dry = db.session.execute(sa.select(Tag).filter_by(namespace="skin", value="dry")).scalar_one()
    assert dry.label_zh == "干性肌肤"
    dry.label_en = "Dry, edited"
    db.session.commit()

    assert ensure_standard_taxonomy() == []
    db.session.commit()
    assert count(Tag) == expected and fresh(Tag, dry.id).label_en == "Dry, edited"

    result = runner.invoke(args=["supplier", "ensure-taxonomy"])
    assert result.exit_code == 0 and "0 standard tag(s) created" in result.output
    assert count(Tag) == expected
    for code in ("diet:low-sugar", "diet:gluten-free", "age:senior", "taste:spicy", "home:design"):
        namespace, value = code.split(":")
        assert count(Tag, Tag.namespace == namespace, Tag.value == value) == 1, code


def test_the_tag_api(client):
    operator = token_headers(make_operator())
    member = token_headers(make_user())
    created = client.post("/api/v1/tags", headers=operator,
                          json={"namespace": "diet", "value": "keto", "label_en": "Keto", "label_zh": "生酮"})
    assert created.status_code == 201 and created.json["code"] == "diet:keto"
    duplicate = client.post("/api/v1/tags", headers=operator,
                            json={"namespace": "diet", "value": "keto", "label_en": "K", "label_zh": "K"})
    assert duplicate.status_code == 409 and duplicate.json["error"]["code"] == "tag_taken"
    bad = client.post("/api/v1/tags", headers=operator,
                      json={"namespace": "Diet Plans", "value": "keto", "label_en": "K", "label_zh": "K"})
    assert bad.status_code == 422 and "namespace" in bad.json["error"]["fields"]
    paleo = {"namespace": "diet", "value": "paleo", "label_en": "P", "label_zh": "P"}
    assert client.post("/api/v1/tags", headers=member, json=paleo).status_code == 403

    tag_id = created.json["id"]
    assert client.patch(f"/api/v1/tags/{tag_id}", headers=operator, json={"active": False}).json["active"] is False
    assert client.get("/api/v1/tags", headers=member).json == []
    assert [t["code"] for t in client.get("/api/v1/tags?include_inactive=true", headers=operator).json] == ["diet:keto"]
    assert client.get("/api/v1/tags?include_inactive=true", headers=member).json == []
    assert client.patch("/api/v1/tags/424242", headers=operator, json={"label_en": "x"}).status_code == 404
    assert client.patch(f"/api/v1/tags/{tag_id}", headers=member, json={"label_en": "x"}).status_code == 403


def test_the_operator_lists_every_supplier_through_the_api(client):
    first, second = make_supplier(name="Alpha"), make_supplier(name="Beta")
    listed = client.get("/api/v1/suppliers", headers=token_headers(make_operator())).json
    assert [s["id"] for s in listed] == [first.id, second.id]
    readable = client.get(f"/api/v1/suppliers/{first.id}/products", headers=token_headers(make_operator()))
    assert readable.status_code == 200
