"""The supplier's catalog pages: products, variants, images, browsing, who may see what, and the query
that matches products to tags (the API is in test_catalog_api.py)."""

import io
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from accounts.models import Role
from core import clock
from core.extensions import db
from supplier.models import Product, ProductImage, Variant
from supplier.queries import products_matching_tags
from tests.catalog_helpers import count, fresh, make_operator, png_bytes, supplier_with_staff
from tests.factories import login_as, make_product, make_supplier, make_tag, make_user


def test_products_matching_more_tags_come_first_then_the_newest():
    dry, sensitive, budget = make_tag("skin", "dry"), make_tag("skin", "sensitive"), make_tag("home", "budget")
    supplier = make_supplier()
    clock.freeze()
    one_tag_old = make_product(supplier, name="Old cream", tags=(dry,))
    clock.advance(timedelta(minutes=1))
    two_tags = make_product(supplier, name="Gentle cream", tags=(dry, sensitive))
    clock.advance(timedelta(minutes=1))
    one_tag_new = make_product(supplier, name="New cream", tags=(sensitive,))
    make_product(supplier, name="Basket", tags=(budget,))

    found = products_matching_tags([dry.id, sensitive.id])

    assert [p.name for p in found] == [two_tags.name, one_tag_new.name, one_tag_old.name]


def test_matching_skips_archived_products_and_products_without_active_variants():
    dry = make_tag("skin", "dry")
    supplier = make_supplier()
    make_product(supplier, name="Archived", tags=(dry,), active=False)
    retired = make_product(supplier, name="Retired variants", tags=(dry,))
    retired.variants[0].active = False
    db.session.commit()
    live = make_product(supplier, name="Live", tags=(dry,))

    assert products_matching_tags([dry.id]) == [live]


def test_matching_respects_the_limit_and_excluded_suppliers():
    dry = make_tag("skin", "dry")
    ours, theirs = make_supplier(), make_supplier()
    for _ in range(3):
        make_product(ours, tags=(dry,))
    their_product = make_product(theirs, tags=(dry,))

    assert len(products_matching_tags([dry.id], limit=2)) == 2
    assert products_matching_tags([dry.id], exclude_supplier_ids=[ours.id]) == [their_product]


def test_no_tags_match_nothing():
    make_product(make_supplier(), tags=(make_tag("skin", "dry"),))
    assert products_matching_tags([]) == []


# --- supplier staff manage their catalog (pages) ---


def test_a_supplier_creates_prices_edits_and_archives_a_product(client):
    dry, sensitive = make_tag("skin", "dry"), make_tag("skin", "sensitive")
    supplier, staff = supplier_with_staff(currency="CNY")
    login_as(client, staff)

    response = client.post(f"/catalog/suppliers/{supplier.id}/products/new",
                           data={"name": "Rice cream", "description": "Gentle.", "tag_ids": [dry.id, sensitive.id]})
    assert response.status_code == 302
    product = db.session.execute(sa.select(Product)).scalar_one()
    assert {t.code for t in product.tags} == {"skin:dry", "skin:sensitive"}

    response = client.post(f"/catalog/products/{product.id}/variants/new", data={
        "sku": "RC-50", "name": "50 ml", "unit": "jar", "case_pack": "12", "wholesale_price": "12.50",
        "retail_price": "19.90", "lead_time_days": "7"})
    assert response.status_code == 302
    variant = db.session.execute(sa.select(Variant)).scalar_one()
    assert (variant.wholesale_price, variant.retail_price, variant.currency) == (1250, 1990, "CNY")
    assert (variant.case_pack, variant.lead_time_days, variant.supplier_id) == (12, 7, supplier.id)

    edit_page = client.get(f"/catalog/variants/{variant.id}").get_data(as_text=True)
    assert 'value="12.50"' in edit_page
    response = client.post(f"/catalog/variants/{variant.id}", data={
        "sku": "RC-50", "name": "50 ml", "unit": "jar", "case_pack": "12", "wholesale_price": "13",
        "retail_price": "21.00", "lead_time_days": "5"})
    assert response.status_code == 302
    assert (fresh(Variant, variant.id).wholesale_price, fresh(Variant, variant.id).retail_price) == (1300, 2100)

    response = client.post(f"/catalog/products/{product.id}",
                           data={"name": "Rice cream, unscented", "description": "", "tag_ids": [dry.id]})
    assert response.status_code == 302
    product = fresh(Product, product.id)
    assert product.name == "Rice cream, unscented" and [t.code for t in product.tags] == ["skin:dry"]

    catalog = client.get("/catalog").get_data(as_text=True)
    assert "Rice cream, unscented" in catalog and "1 / 1" in catalog

    assert client.post(f"/catalog/products/{product.id}/archive").status_code == 302
    assert fresh(Product, product.id).active is False
    assert "Archived" in client.get("/catalog").get_data(as_text=True)
    assert client.post(f"/catalog/products/{product.id}/unarchive").status_code == 302
    assert fresh(Product, product.id).active is True


@pytest.mark.parametrize("price", ["abc", "-1", "12.505", "", "1e400", "NaN", "99999999999"])
def test_a_price_that_is_not_an_amount_is_refused_on_its_field(client, price):
    supplier, staff = supplier_with_staff()
    product = make_product(supplier)
    login_as(client, staff)
    response = client.post(f"/catalog/products/{product.id}/variants/new", data={
        "sku": "NEW-1", "name": "Big", "unit": "box", "case_pack": "1", "wholesale_price": price,
        "retail_price": "5.00", "lead_time_days": "0"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'class="field has-error"' in page and "wholesale_price" in page.split("has-error")[1][:200]
    assert count(Variant, Variant.sku == "NEW-1") == 0


def test_a_yen_price_has_no_decimals(client):
    supplier, staff = supplier_with_staff(currency="JPY")
    product = make_product(supplier)
    login_as(client, staff)
    data = {"sku": "JP-1", "name": "Box", "unit": "box", "case_pack": "1", "retail_price": "900",
            "lead_time_days": "0"}
    assert client.post(f"/catalog/products/{product.id}/variants/new",
                       data={**data, "wholesale_price": "500.5"}).status_code == 422
    assert client.post(f"/catalog/products/{product.id}/variants/new",
                       data={**data, "wholesale_price": "500"}).status_code == 302
    variant = db.session.execute(sa.select(Variant).where(Variant.sku == "JP-1")).scalar_one()
    assert (variant.wholesale_price, variant.currency) == (500, "JPY")


def test_case_pack_and_lead_time_must_be_sensible(client):
    supplier, staff = supplier_with_staff()
    product = make_product(supplier)
    login_as(client, staff)
    data = {"sku": "X-1", "name": "Box", "unit": "box", "wholesale_price": "1", "retail_price": "2"}
    for case_pack, lead_time in (("0", "1"), ("1", "-1"), ("many", "1")):
        response = client.post(f"/catalog/products/{product.id}/variants/new",
                               data={**data, "case_pack": case_pack, "lead_time_days": lead_time})
        assert response.status_code == 422
    assert count(Variant, Variant.sku == "X-1") == 0


def test_a_duplicate_sku_is_refused_with_a_clear_message(client):
    supplier, staff = supplier_with_staff()
    product = make_product(supplier)
    taken = product.variants[0].sku
    login_as(client, staff)
    response = client.post(f"/catalog/products/{product.id}/variants/new", data={
        "sku": taken, "name": "Again", "unit": "box", "case_pack": "1", "wholesale_price": "1.00",
        "retail_price": "2.00", "lead_time_days": "0"})
    assert response.status_code == 409
    assert "already used" in response.get_data(as_text=True)
    assert count(Variant, Variant.product_id == product.id) == 1


def test_the_same_sku_is_fine_at_another_supplier(client):
    product = make_product(make_supplier())
    supplier, staff = supplier_with_staff()
    other = make_product(supplier)
    login_as(client, staff)
    response = client.post(f"/catalog/products/{other.id}/variants/new", data={
        "sku": product.variants[0].sku, "name": "Twin", "unit": "box", "case_pack": "1",
        "wholesale_price": "1.00", "retail_price": "2.00", "lead_time_days": "0"})
    assert response.status_code == 302


def test_a_deactivated_variant_is_hidden_from_shopkeepers(client):
    supplier, staff = supplier_with_staff()
    product = make_product(supplier)
    variant_id = product.variants[0].id
    login_as(client, staff)
    assert client.post(f"/catalog/variants/{variant_id}/deactivate").status_code == 302
    assert fresh(Variant, variant_id).active is False
    shopkeeper_client = client.application.test_client()
    login_as(shopkeeper_client, make_user(roles=(Role.SHOPKEEPER,)))
    assert product.variants[0].sku not in shopkeeper_client.get(f"/products/{product.id}").get_data(as_text=True)
    assert client.post(f"/catalog/variants/{variant_id}/activate").status_code == 302
    assert fresh(Variant, variant_id).active is True


# --- images ---


def _upload_folder(app) -> Path:
    return Path(app.config["UPLOAD_FOLDER"])


def test_real_images_are_uploaded_served_reordered_and_removed(app, client):
    supplier, staff = supplier_with_staff()
    product = make_product(supplier)
    login_as(client, staff)
    response = client.post(f"/catalog/products/{product.id}/images", content_type="multipart/form-data", data={
        "images": [(io.BytesIO(png_bytes()), "front.png"), (io.BytesIO(png_bytes(color="green")), "back.png")]})
    assert response.status_code == 302
    images = fresh(Product, product.id).images
    assert [image.position for image in images] == [0, 1]
    served = client.get(f"/uploads/{images[0].filename}")
    assert served.status_code == 200 and served.data[:8] == b"\x89PNG\r\n\x1a\n"
    assert f"/uploads/{images[0].filename}" in client.get(f"/products/{product.id}").get_data(as_text=True)

    first, second = images[0].filename, images[1].filename
    assert client.post(f"/catalog/images/{images[1].id}/first").status_code == 302
    assert [image.filename for image in fresh(Product, product.id).images] == [second, first]

    assert client.post(f"/catalog/images/{images[0].id}/delete").status_code == 302
    assert [image.filename for image in fresh(Product, product.id).images] == [second]
    assert not (_upload_folder(app) / first).exists()
    assert (_upload_folder(app) / second).exists()


def test_a_file_that_is_not_an_image_is_refused_and_nothing_is_saved(app, client):
    supplier, staff = supplier_with_staff()
    product = make_product(supplier)
    login_as(client, staff)
    before = set(_upload_folder(app).glob("*")) if _upload_folder(app).exists() else set()
    response = client.post(f"/catalog/products/{product.id}/images", content_type="multipart/form-data",
                           data={"images": [(io.BytesIO(b"%PDF-1.4 not a picture"), "menu.png")]})
    assert response.status_code == 400
    assert "not an image we can read" in response.get_data(as_text=True)
    assert count(ProductImage) == 0
    after = set(_upload_folder(app).glob("*")) if _upload_folder(app).exists() else set()
    assert after == before


def test_an_upload_without_a_file_asks_for_one(client):
    supplier, staff = supplier_with_staff()
    product = make_product(supplier)
    login_as(client, staff)
    response = client.post(f"/catalog/products/{product.id}/images", content_type="multipart/form-data", data={})
    assert response.status_code == 422
    assert "at least one image" in response.get_data(as_text=True)


# --- who may see what ---


def test_staff_of_another_supplier_get_404_on_its_products(client):
    theirs = make_supplier()
    product = make_product(theirs, active=False)
    variant = product.variants[0]
    _ours, staff = supplier_with_staff()
    login_as(client, staff)
    for url in (f"/catalog/products/{product.id}", f"/catalog/products/{product.id}/variants/new",
                f"/catalog/variants/{variant.id}", f"/catalog/products/{product.id}/images",
                f"/catalog/suppliers/{theirs.id}/products/new", f"/products/{product.id}"):
        assert client.get(url).status_code == 404, url
    for url in (f"/catalog/products/{product.id}/unarchive", f"/catalog/variants/{variant.id}/deactivate"):
        assert client.post(url).status_code == 404, url
    assert client.post(f"/catalog/products/{product.id}", data={"name": "Hijacked"}).status_code == 404
    assert fresh(Product, product.id).name != "Hijacked" and fresh(Product, product.id).active is False
    assert theirs.name not in client.get("/catalog").get_data(as_text=True)


def test_a_member_without_a_role_cannot_use_the_catalog_pages(client):
    product = make_product(make_supplier())
    login_as(client, make_user())
    assert client.get("/catalog").status_code == 403
    assert client.get("/products").status_code == 403
    assert client.get(f"/catalog/products/{product.id}").status_code == 403
    anonymous = client.application.test_client()
    response = anonymous.get("/catalog")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert anonymous.get(f"/products/{product.id}").status_code == 302


def test_shopkeepers_see_the_suggested_retail_price_but_not_the_wholesale_price(client):
    supplier, staff = supplier_with_staff()
    product = make_product(supplier, wholesale_price=1234, retail_price=1999)
    login_as(client, make_user(roles=(Role.SHOPKEEPER,)))
    page = client.get(f"/products/{product.id}").get_data(as_text=True)
    assert "19.99" in page and "12.34" not in page and "wholesale-price" not in page

    for viewer in (staff, make_operator()):
        other = client.application.test_client()
        login_as(other, viewer)
        assert "12.34" in other.get(f"/products/{product.id}").get_data(as_text=True)


def test_an_archived_product_is_not_shown_to_shopkeepers(client):
    archived = make_product(make_supplier(), active=False)
    login_as(client, make_user(roles=(Role.SHOPKEEPER,)))
    assert client.get(f"/products/{archived.id}").status_code == 404
    assert archived.name not in client.get("/products").get_data(as_text=True)


def test_shopkeepers_browse_by_tag_and_name_page_by_page(client):
    dry, oily = make_tag("skin", "dry"), make_tag("skin", "oily")
    supplier = make_supplier()
    make_product(supplier, name="Rich balm", tags=(dry,))
    make_product(supplier, name="Matte gel", tags=(oily,))
    make_product(supplier, name="Rich gel", tags=(oily,))
    login_as(client, make_user(roles=(Role.SHOPKEEPER,)))

    assert 'href="/products"' in client.get("/").get_data(as_text=True)
    by_tag = client.get(f"/products?tag={oily.id}").get_data(as_text=True)
    assert "Matte gel" in by_tag and "Rich gel" in by_tag and "Rich balm" not in by_tag
    by_name = client.get("/products?q=rich").get_data(as_text=True)
    assert "Rich balm" in by_name and "Rich gel" in by_name and "Matte gel" not in by_name
    both = client.get(f"/products?q=rich&tag={oily.id}").get_data(as_text=True)
    assert "Rich gel" in both and "Rich balm" not in both
    assert "No products match" in client.get("/products?q=100%25").get_data(as_text=True)
    for junk in ("?page=-3", "?page=99999999999999999999", "?tag=abc", "?tag=99999999999999"):
        assert client.get("/products" + junk).status_code == 200, junk
    assert client.get("/products?q=%00").status_code == 422  # refused at the door, not a 500


def test_the_browse_list_pages_through_many_products(client):
    supplier = make_supplier()
    clock.freeze()
    for n in range(30):
        clock.advance(timedelta(seconds=1))
        make_product(supplier, name=f"Item {n:02d}")
    login_as(client, make_user(roles=(Role.SHOPKEEPER,)))
    first = client.get("/products").get_data(as_text=True)
    assert "Item 29" in first and "Item 05" not in first and "page=2" in first
    second = client.get("/products?page=2").get_data(as_text=True)
    assert "Item 05" in second and "Item 29" not in second

