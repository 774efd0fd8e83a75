"""The catalog's JSON API: a supplier's round trip with a token, what others may see, and refusals of
bad input that never reach the database."""

import pytest

from accounts.models import Role
from supplier.models import Product, Variant
from tests.catalog_helpers import count, fresh, supplier_with_staff
from tests.factories import make_product, make_tag, make_user, token_headers


def test_the_api_round_trip_for_a_supplier(client):
    dry = make_tag("skin", "dry")
    supplier, staff = supplier_with_staff(currency="USD")
    headers = token_headers(staff)

    assert [s["id"] for s in client.get("/api/v1/suppliers", headers=headers).json] == [supplier.id]
    created = client.post(f"/api/v1/suppliers/{supplier.id}/products", headers=headers,
                          json={"name": "Oat milk", "tag_ids": [dry.id]})
    assert created.status_code == 201, created.json
    product_id = created.json["id"]
    assert [t["code"] for t in created.json["tags"]] == ["skin:dry"]

    variant = client.post(f"/api/v1/products/{product_id}/variants", headers=headers, json={
        "sku": "OAT-1L", "name": "1 l", "unit": "carton", "case_pack": 6, "wholesale_price": 199,
        "retail_price": 349, "lead_time_days": 2})
    assert variant.status_code == 201, variant.json
    assert variant.json["currency"] == "USD" and variant.json["wholesale_price"] == 199

    again = client.post(f"/api/v1/products/{product_id}/variants", headers=headers, json={
        "sku": "OAT-1L", "name": "dup", "wholesale_price": 1, "retail_price": 2})
    assert again.status_code == 409 and again.json["error"]["code"] == "sku_taken"
    assert "sku" in again.json["error"]["fields"]

    patched = client.patch(f"/api/v1/variants/{variant.json['id']}", headers=headers,
                           json={"retail_price": 399, "active": False})
    assert patched.status_code == 200 and (patched.json["retail_price"], patched.json["active"]) == (399, False)
    archived = client.patch(f"/api/v1/products/{product_id}", headers=headers, json={"active": False})
    assert archived.status_code == 200 and archived.json["active"] is False

    listed = client.get(f"/api/v1/suppliers/{supplier.id}/products", headers=headers).json
    assert [p["id"] for p in listed] == [product_id] and listed[0]["variants"][0]["wholesale_price"] == 199
    stored = fresh(Variant, variant.json["id"])
    assert (stored.retail_price, stored.active) == (399, False)


def test_the_api_hides_wholesale_prices_and_other_suppliers_catalogs(client):
    supplier, staff = supplier_with_staff()
    product = make_product(supplier, wholesale_price=800, retail_price=1200)
    shopkeeper = token_headers(make_user(roles=(Role.SHOPKEEPER,)))
    seen = client.get(f"/api/v1/products/{product.id}", headers=shopkeeper)
    assert seen.status_code == 200
    assert seen.json["variants"][0]["retail_price"] == 1200 and "wholesale_price" not in seen.json["variants"][0]
    assert client.get("/api/v1/suppliers", headers=shopkeeper).json == []
    assert client.get(f"/api/v1/suppliers/{supplier.id}/products", headers=shopkeeper).status_code == 404

    _other, other_staff = supplier_with_staff()
    other = token_headers(other_staff)
    assert client.patch(f"/api/v1/products/{product.id}", headers=other, json={"name": "Mine"}).status_code == 404
    assert client.post(f"/api/v1/suppliers/{supplier.id}/products", headers=other,
                       json={"name": "Intruder"}).status_code == 404
    assert client.patch(f"/api/v1/variants/{product.variants[0].id}", headers=other,
                        json={"retail_price": 1}).status_code == 404
    assert fresh(Product, product.id).name != "Mine"
    assert client.get(f"/api/v1/products/{product.id}").status_code == 401


@pytest.mark.parametrize("body", [
    {"sku": "A", "name": "B", "wholesale_price": -1, "retail_price": 1},
    {"sku": "A", "name": "B", "wholesale_price": 10**13, "retail_price": 1},
    {"sku": "A", "name": "B", "wholesale_price": "12.50", "retail_price": 1},
    {"sku": "A", "name": "B", "wholesale_price": 1.5, "retail_price": 1},
    {"sku": "", "name": "B", "wholesale_price": 1, "retail_price": 1},
    {"sku": "A\u0000B", "name": "B", "wholesale_price": 1, "retail_price": 1},
    {"sku": "A" * 65, "name": "B", "wholesale_price": 1, "retail_price": 1},
    {"sku": "A", "name": "B", "wholesale_price": 1, "retail_price": 1, "case_pack": 0},
    {"sku": "A", "name": "B", "wholesale_price": 1, "retail_price": 1, "lead_time_days": 10**12},
    {"sku": "A", "name": "B", "wholesale_price": 1, "retail_price": 1, "colour": "red"},
    ["not", "an", "object"],
])
def test_the_api_refuses_bad_variants_with_field_errors(client, body):
    supplier, staff = supplier_with_staff()
    product = make_product(supplier)
    response = client.post(f"/api/v1/products/{product.id}/variants", headers=token_headers(staff), json=body)
    assert response.status_code == 422, response.json
    assert response.json["error"]["code"] in {"invalid", "bad_text", "required", "out_of_range"}
    assert count(Variant, Variant.product_id == product.id) == 1


def test_the_api_answers_404_for_ids_that_cannot_exist(client):
    supplier, staff = supplier_with_staff()
    headers = token_headers(staff)
    for url in ("/api/v1/products/0", "/api/v1/products/99999999999999999999",
                "/api/v1/suppliers/2147483648/products", "/api/v1/products/2147483647"):
        assert client.get(url, headers=headers).status_code == 404, url
    assert client.patch("/api/v1/variants/9223372036854775808", headers=headers, json={}).status_code == 404
    response = client.post(f"/api/v1/suppliers/{supplier.id}/products", headers=headers,
                           json={"name": "X", "tag_ids": [2147483647]})
    assert response.status_code == 422 and response.json["error"]["code"] == "unknown_tag"
