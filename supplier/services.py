"""The supplier's catalog use cases: products, variants and product images. Every function takes the
acting user and refuses (404) anything outside the suppliers that user staffs."""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import FileStorage

from accounts.models import User
from core.errors import Conflict, DomainError
from core.extensions import db
from core.uploads import delete_after_commit, save_image
from supplier.access import managed_image, managed_product, managed_supplier, managed_variant
from supplier.models import Product, ProductImage, Variant
from supplier.taxonomy import resolve_tags
from supplier.validation import (
    MAX_CASE_PACK,
    MAX_IMAGES_PER_PRODUCT,
    MAX_LEAD_TIME_DAYS,
    MAX_PRICE,
    MAX_TAGS_PER_PRODUCT,
    check_range,
    clean_text,
    flush_or_conflict,
)


def _tags(tag_ids: Iterable[int], keep=()) -> list:
    tag_ids = list(tag_ids)
    if len(tag_ids) > MAX_TAGS_PER_PRODUCT:
        raise DomainError("too_many_tags", _l("Choose at most %(n)s tags.", n=MAX_TAGS_PER_PRODUCT),
                          field="tag_ids", status=422)
    return resolve_tags(tag_ids, keep=keep)


def create_product(actor: User, supplier_id: int, *, name: str, description: str = "",
                   tag_ids: Iterable[int] = ()) -> Product:
    """A new active product of a supplier the actor staffs, carrying active taxonomy tags.
    Raises ``not_found``, ``unknown_tag`` / ``too_many_tags`` and ``required`` / ``too_long`` / ``bad_text``."""
    supplier = managed_supplier(actor, supplier_id)
    product = Product(supplier_id=supplier.id, name=clean_text(name, field="name", max_length=160),
                      description=clean_text(description, field="description", max_length=10_000,
                                             required=False, multiline=True),
                      tags=_tags(tag_ids))
    db.session.add(product)
    db.session.flush()
    return product


def update_product(actor: User, product_id: int, *, name: str | None = None, description: str | None = None,
                   tag_ids: Iterable[int] | None = None, active: bool | None = None) -> Product:
    """Change a product; omitted values stay. Tags it already carries may stay after their
    deactivation; new ones must be active. Same errors as ``create_product``."""
    product = managed_product(actor, product_id)
    if name is not None:
        product.name = clean_text(name, field="name", max_length=160)
    if description is not None:
        product.description = clean_text(description, field="description", max_length=10_000, required=False,
                                          multiline=True)
    if tag_ids is not None:
        product.tags = _tags(tag_ids, keep=product.tags)
    if active is not None:
        product.active = bool(active)
    db.session.flush()
    return product


def set_product_active(actor: User, product_id: int, active: bool) -> Product:
    """Archive (``active=False``) or bring back a product. Archived products stay for history but are
    neither offered nor recommended. Raises ``not_found``."""
    return update_product(actor, product_id, active=active)


def _sku_taken() -> Conflict:
    return Conflict("sku_taken", _l("This SKU is already used by another of your variants."), field="sku")


def _variant_values(supplier_id: int, variant_id: int | None, **values) -> dict:
    """Checked values for a variant; only the keys given are checked and returned."""
    checks = {
        "sku": lambda v: clean_text(v, field="sku", max_length=64),
        "name": lambda v: clean_text(v, field="name", max_length=120),
        "unit": lambda v: clean_text(v, field="unit", max_length=32),
        "case_pack": lambda v: check_range(v, field="case_pack", minimum=1, maximum=MAX_CASE_PACK),
        "wholesale_price": lambda v: check_range(v, field="wholesale_price", minimum=0, maximum=MAX_PRICE),
        "retail_price": lambda v: check_range(v, field="retail_price", minimum=0, maximum=MAX_PRICE),
        "lead_time_days": lambda v: check_range(v, field="lead_time_days", minimum=0,
                                                maximum=MAX_LEAD_TIME_DAYS),
    }
    clean = {key: checks[key](value) for key, value in values.items() if value is not None}
    if "sku" in clean:
        query = sa.select(Variant.id).where(Variant.supplier_id == supplier_id, Variant.sku == clean["sku"])
        if variant_id is not None:
            query = query.where(Variant.id != variant_id)
        if db.session.execute(query).first() is not None:
            raise _sku_taken()
    return clean


def add_variant(actor: User, product_id: int, *, sku: str, name: str, unit: str = "piece", case_pack: int = 1,
                wholesale_price: int, retail_price: int, lead_time_days: int = 0) -> Variant:
    """A new active variant, priced in minor units of the supplier's currency. Raises ``not_found``,
    ``sku_taken`` (409: SKUs are unique per supplier), ``out_of_range`` (case pack 1.., prices and
    lead time 0..) and ``required`` / ``too_long`` / ``bad_text``."""
    product = managed_product(actor, product_id)
    values = _variant_values(product.supplier_id, None, sku=sku, name=name, unit=unit, case_pack=case_pack,
                             wholesale_price=wholesale_price, retail_price=retail_price,
                             lead_time_days=lead_time_days)
    variant = Variant(product_id=product.id, supplier_id=product.supplier_id, currency=product.supplier.currency,
                      **values)
    product.variants.append(variant)
    flush_or_conflict(_sku_taken())
    return variant


def update_variant(actor: User, variant_id: int, *, sku: str | None = None, name: str | None = None,
                   unit: str | None = None, case_pack: int | None = None, wholesale_price: int | None = None,
                   retail_price: int | None = None, lead_time_days: int | None = None,
                   active: bool | None = None) -> Variant:
    """Change a variant; omitted values stay. Same errors as ``add_variant``."""
    variant = managed_variant(actor, variant_id)
    values = _variant_values(variant.supplier_id, variant.id, sku=sku, name=name, unit=unit, case_pack=case_pack,
                             wholesale_price=wholesale_price, retail_price=retail_price,
                             lead_time_days=lead_time_days)
    for field, value in values.items():
        setattr(variant, field, value)
    if active is not None:
        variant.active = bool(active)
    flush_or_conflict(_sku_taken())
    return variant


def set_variant_active(actor: User, variant_id: int, active: bool) -> Variant:
    """Deactivate (or bring back) a variant: it stays for history but is no longer offered.
    Raises ``not_found``."""
    return update_variant(actor, variant_id, active=active)


def add_product_images(actor: User, product_id: int, files: Iterable[FileStorage]) -> list[ProductImage]:
    """Store uploaded images after the product's existing ones. Every file must be a real image
    (``bad_image``, on field ``images``); at most 12 per product (``too_many_images``); at least one
    (``required``). Raises ``not_found`` too."""
    product = managed_product(actor, product_id)
    files = [file for file in files if file and file.filename]
    if not files:
        raise DomainError("required", _l("Choose at least one image."), field="images", status=422)
    if len(product.images) + len(files) > MAX_IMAGES_PER_PRODUCT:
        raise DomainError("too_many_images", _l("A product has at most %(n)s images.", n=MAX_IMAGES_PER_PRODUCT),
                          field="images", status=422)
    position = max((image.position for image in product.images), default=-1) + 1
    added = []
    for offset, file in enumerate(files):
        image = ProductImage(filename=save_image(file, field="images"), position=position + offset,
                             alt=product.name[:200])
        product.images.append(image)
        added.append(image)
    db.session.flush()
    return added


def delete_product_image(actor: User, image_id: int) -> Product:
    """Remove an image; its file goes once the removal is committed. Raises ``not_found``."""
    image = managed_image(actor, image_id)
    product = image.product
    product.images.remove(image)
    delete_after_commit(image.filename)
    db.session.flush()
    return product


def move_product_image_first(actor: User, image_id: int) -> Product:
    """Make this image the product's main (first) one, keeping the others' order. Raises ``not_found``."""
    image = managed_image(actor, image_id)
    product = image.product
    ordered = [image] + [other for other in product.images if other.id != image.id]
    for position, each in enumerate(ordered):
        each.position = position
    db.session.flush()
    return product
