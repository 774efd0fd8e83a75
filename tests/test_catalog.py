"""The supplier's catalog: products, variants, images, the browse pages, the API, and the query that
matches products to tags."""

from datetime import timedelta

from core import clock
from core.extensions import db
from supplier.queries import products_matching_tags
from tests.factories import make_product, make_supplier, make_tag


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
