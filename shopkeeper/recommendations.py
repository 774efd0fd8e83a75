"""Products to suggest to a member, matched on the tags the member carries: the shopkeeper advising
like a knowledgeable friend, not pushing ads."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from core.extensions import db
from shopkeeper.models import Membership
from supplier.models import Product, ProductImage
from supplier.queries import products_matching_tags


@dataclass(frozen=True)
class Recommendation:
    product: Product
    retail_price: int | None  #: the lowest suggested retail price among its active variants, minor units
    currency: str | None
    image: ProductImage | None  #: the first image, for a thumbnail

    @classmethod
    def of(cls, product: Product) -> Recommendation:
        variants = sorted((v for v in product.variants if v.active), key=lambda v: v.retail_price)
        cheapest = variants[0] if variants else None
        return cls(product, cheapest.retail_price if cheapest else None, cheapest.currency if cheapest else None,
                   product.images[0] if product.images else None)


def recommend_for_member(membership: Membership, limit: int = 6) -> list[Recommendation]:
    """Active products whose tags match the member's (active) tags, the best match first: most
    shared tags, then newest. Nothing for a member without tags."""
    tag_ids = [member_tag.tag_id for member_tag in membership.tags if member_tag.tag.active]
    products = products_matching_tags(tag_ids, limit)
    if products:
        # Variants and images for all of them in two queries, rather than two per product.
        db.session.execute(
            sa.select(Product).where(Product.id.in_([product.id for product in products]))
            .options(selectinload(Product.variants), selectinload(Product.images))
        ).scalars().all()
    return [Recommendation.of(product) for product in products]
