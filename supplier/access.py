"""Who may see and change which part of the catalog. Staff manage only the suppliers they staff:
anything of another supplier is a 404 to them. Active products are visible to anyone logged in;
archived ones only to their supplier's staff and operators. Wholesale prices likewise."""

from __future__ import annotations

import sqlalchemy as sa

from accounts.models import Role, User
from core.errors import NotFound
from core.extensions import db
from supplier.models import Product, ProductImage, Supplier, SupplierStaff, Variant
from supplier.validation import MAX_ID


def get_or_none(model, object_id: int):
    """The row with this id, or None (ids outside the column's range cannot exist)."""
    if not isinstance(object_id, int) or not 1 <= object_id <= MAX_ID:
        return None
    return db.session.get(model, object_id)


def is_operator(user: User | None) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False) and user.has_role(Role.OPERATOR))


def staffed_supplier_ids(user: User | None) -> set[int]:
    if user is None or not getattr(user, "is_authenticated", False):
        return set()
    return set(db.session.execute(
        sa.select(SupplierStaff.supplier_id).where(SupplierStaff.user_id == user.id)).scalars())


def is_staff(user: User | None, supplier_id: int) -> bool:
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return db.session.execute(sa.select(sa.exists().where(
        SupplierStaff.user_id == user.id, SupplierStaff.supplier_id == supplier_id))).scalar()


def sees_wholesale(user: User | None, supplier_id: int) -> bool:
    """Wholesale prices are for the supplier's own staff and the platform's operators."""
    return is_operator(user) or is_staff(user, supplier_id)


def managed_supplier(user: User, supplier_id: int) -> Supplier:
    """A supplier the user staffs; a 404 otherwise."""
    supplier = get_or_none(Supplier, supplier_id)
    if supplier is None or not is_staff(user, supplier.id):
        raise NotFound()
    return supplier


def readable_supplier(user: User, supplier_id: int) -> Supplier:
    """A supplier whose whole catalog (archived products, wholesale prices) the user may read:
    its staff and operators; a 404 for anyone else."""
    supplier = get_or_none(Supplier, supplier_id)
    if supplier is None or not sees_wholesale(user, supplier.id):
        raise NotFound()
    return supplier


def managed_product(user: User, product_id: int) -> Product:
    product = get_or_none(Product, product_id)
    if product is None or not is_staff(user, product.supplier_id):
        raise NotFound()
    return product


def managed_variant(user: User, variant_id: int) -> Variant:
    variant = get_or_none(Variant, variant_id)
    if variant is None or not is_staff(user, variant.supplier_id):
        raise NotFound()
    return variant


def managed_image(user: User, image_id: int) -> ProductImage:
    image = get_or_none(ProductImage, image_id)
    if image is None or not is_staff(user, image.product.supplier_id):
        raise NotFound()
    return image


def visible_product(user: User, product_id: int) -> Product:
    """An active product for anyone logged in; an archived one only for its staff and operators."""
    product = get_or_none(Product, product_id)
    if product is None or not (product.active or sees_wholesale(user, product.supplier_id)):
        raise NotFound()
    return product
