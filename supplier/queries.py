"""Read side of the catalog, for other packages (recommendations) and for the browse pages."""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa

from core.extensions import db
from supplier.models import Product, Tag, Variant, product_tags


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
