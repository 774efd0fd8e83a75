"""Read side of the catalog, for other packages (recommendations) and for the browse pages."""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.orm import joinedload, selectinload

from accounts.models import Role, User, UserRole
from core.extensions import db
from supplier.access import is_operator
from supplier.models import Product, Supplier, SupplierStaff, Tag, Variant, product_tags
from supplier.validation import search_text

#: deeper pages than this are refused by clamping: the OFFSET must stay a sane number
MAX_PAGE = 10_000


def _has_active_variant():
    return sa.exists().where(Variant.product_id == Product.id, Variant.active.is_(True))


def products_matching_tags(tag_ids: list[int], limit: int = 6,
                           exclude_supplier_ids: Iterable[int] = ()) -> list[Product]:
    """Active products with at least one active variant that carry at least one of ``tag_ids``
    (active tags only), the best matches first: by how many of the tags they carry, then newest.
    An empty list when ``tag_ids`` is empty."""
    tag_ids = [int(tag_id) for tag_id in tag_ids]
    if not tag_ids or limit <= 0:
        return []
    matches = sa.func.count(product_tags.c.tag_id).label("matches")
    ranked = (
        sa.select(Product.id, matches)
        .join(product_tags, product_tags.c.product_id == Product.id)
        .join(Tag, Tag.id == product_tags.c.tag_id)
        .where(product_tags.c.tag_id.in_(tag_ids), Tag.active.is_(True), Product.active.is_(True),
               _has_active_variant())
        .group_by(Product.id)
    )
    excluded = [int(supplier_id) for supplier_id in exclude_supplier_ids]
    if excluded:
        ranked = ranked.where(Product.supplier_id.not_in(excluded))
    ranked = ranked.subquery()
    return list(db.session.execute(
        sa.select(Product).join(ranked, ranked.c.id == Product.id)
        .order_by(ranked.c.matches.desc(), Product.created_at.desc(), Product.id.desc())
        .limit(limit)
    ).scalars())


def browse_products(*, q: str | None = None, tag_ids: Iterable[int] = (), page: int = 1, per_page: int = 24):
    """The catalog as shopkeepers browse it: active products with at least one active variant, newest
    first, optionally those whose name contains ``q`` and that carry all of ``tag_ids``. A page
    (Flask-SQLAlchemy Pagination) with tags, images and variants loaded."""
    query = (
        sa.select(Product)
        .where(Product.active.is_(True), _has_active_variant())
        .options(selectinload(Product.tags), selectinload(Product.images), selectinload(Product.variants),
                 joinedload(Product.supplier))
        .order_by(Product.created_at.desc(), Product.id.desc())
    )
    q = search_text(q)
    if q:
        pattern = "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(Product.name.ilike(pattern, escape="\\"))
    for tag_id in {int(tag_id) for tag_id in tag_ids}:
        query = query.where(sa.exists().where(product_tags.c.product_id == Product.id,
                                              product_tags.c.tag_id == tag_id))
    return db.paginate(query, page=min(max(page, 1), MAX_PAGE), per_page=per_page, error_out=False)


def staff_suppliers(user: User) -> list[Supplier]:
    """The suppliers ``user`` staffs, with every product (archived too), their variants and tags."""
    return list(db.session.execute(
        sa.select(Supplier).join(SupplierStaff).where(SupplierStaff.user_id == user.id)
        .options(selectinload(Supplier.products).selectinload(Product.variants),
                 selectinload(Supplier.products).selectinload(Product.tags))
        .order_by(Supplier.name, Supplier.id)
    ).scalars())


def visible_suppliers(user: User) -> list[Supplier]:
    """Every supplier for an operator; the ones they staff for supplier staff; none for others."""
    query = sa.select(Supplier).order_by(Supplier.name, Supplier.id)
    if not is_operator(user):
        query = query.join(SupplierStaff).where(SupplierStaff.user_id == user.id)
    return list(db.session.execute(query).scalars())


def all_suppliers() -> list[Supplier]:
    """For the operator: every supplier with its staff."""
    return list(db.session.execute(
        sa.select(Supplier).options(selectinload(Supplier.staff).joinedload(SupplierStaff.user),
                                    selectinload(Supplier.products))
        .order_by(Supplier.name, Supplier.id)).scalars())


def shopkeepers() -> list[User]:
    return list(db.session.execute(
        sa.select(User).join(UserRole).where(UserRole.role == Role.SHOPKEEPER).order_by(User.display_name, User.id)
    ).scalars())


def _count(query) -> int:
    return db.session.execute(query).scalar() or 0


def platform_counts() -> dict[str, int]:
    """Platform-wide health for the operator. Communities and memberships belong to a package above
    this one, so they are counted by table name rather than by importing their models."""
    communities = sa.table("communities", sa.column("id"))
    memberships = sa.table("memberships", sa.column("user_id"))
    return {
        "suppliers": _count(sa.select(sa.func.count(Supplier.id))),
        "shopkeepers": _count(sa.select(sa.func.count(UserRole.id)).where(UserRole.role == Role.SHOPKEEPER)),
        "communities": _count(sa.select(sa.func.count()).select_from(communities)),
        "members": _count(sa.select(sa.func.count(sa.distinct(memberships.c.user_id)))),
        "products": _count(sa.select(sa.func.count(Product.id)).where(Product.active.is_(True))),
        "users": _count(sa.select(sa.func.count(User.id))),
    }


def active_variants(supplier_id: int | None = None) -> list[Variant]:
    """Active variants of active products (of one supplier when given), by product and name: what a
    launch or a subscription box may be made of."""
    query = (sa.select(Variant).join(Product).where(Variant.active, Product.active)
             .order_by(Product.name, Variant.name, Variant.id).options(selectinload(Variant.product)))
    if supplier_id is not None:
        query = query.where(Variant.supplier_id == supplier_id)
    return list(db.session.execute(query).scalars())
