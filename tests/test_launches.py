"""Launches: shopkeepers and suppliers create them (validated, nothing half-written), members of their
communities see them once published, everyone else gets a 404."""

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from accounts.models import User
from core import clock
from core.errors import DomainError
from core.extensions import db
from launches import services
from launches.models import Launch, LaunchStatus, RevealStage
from tests.catalog_helpers import fresh, supplier_with_staff
from tests.factories import add_member, count, login_as, make_community, make_product, make_supplier, token_headers

START = datetime(2026, 5, 1, 8, 0, tzinfo=UTC)


def _owner(community) -> User:
    return db.session.get(User, community.owner_id)


def _values(**overrides) -> dict:
    return {"title": "Winter tea tin", "teaser": "Soon", "price": 9900, "stock": 20,
            "opens_at": START + timedelta(days=2), **overrides}


def _draft(community=None, **overrides) -> Launch:
    clock.freeze(START)
    community = community or make_community()
    variant = make_product(make_supplier()).variants[0]
    launch = services.create_launch(_owner(community), community, variant_id=variant.id, **_values(**overrides))
    db.session.commit()
    return launch


def test_a_shopkeeper_creates_a_draft_launch_with_the_defaults_in_the_community_currency(app):
    community = make_community(currency="HKD")
    launch = _draft(community)
    assert (launch.status, launch.currency, launch.checkout_minutes, launch.claim_minutes, launch.per_member_limit) \
        == (LaunchStatus.DRAFT, "HKD", 10, 60, 1)
    assert launch.communities == [community]


@pytest.mark.parametrize(("overrides", "code", "field"), [
    ({"title": "  "}, "required", "title"),
    ({"stock": 0}, "out_of_range", "stock"),
    ({"price": -1}, "out_of_range", "price"),
    ({"per_member_limit": 0}, "out_of_range", "per_member_limit"),
    ({"per_member_limit": 30}, "limit_above_stock", "per_member_limit"),
    ({"opens_at": START - timedelta(minutes=1)}, "in_the_past", "opens_at"),
    ({"closes_at": START + timedelta(days=1)}, "bad_close", "closes_at"),
    ({"mode": "raffle"}, "required", "closes_at"),
    ({"mode": "auction"}, "bad_mode", "mode"),
])
def test_a_launch_with_a_bad_value_is_refused_and_nothing_is_written(app, overrides, code, field):
    clock.freeze(START)
    community = make_community()
    variant = make_product(make_supplier()).variants[0]
    with pytest.raises(DomainError) as refused:
        services.create_launch(_owner(community), community, variant_id=variant.id, **_values(**overrides))
    assert (refused.value.code, refused.value.field, refused.value.status) == (code, field, 422)
    db.session.rollback()
    assert count(Launch) == 0


def test_an_archived_product_cannot_be_launched(app):
    clock.freeze(START)
    community = make_community()
    variant = make_product(make_supplier(), active=False).variants[0]
    with pytest.raises(DomainError, match="catalog"):
        services.create_launch(_owner(community), community, variant_id=variant.id, **_values())


def test_a_member_who_is_not_the_shopkeeper_cannot_create_or_change_a_launch(app):
    launch = _draft()
    community = launch.communities[0]
    member = add_member(community)
    with pytest.raises(DomainError) as refused:
        services.create_launch(member, community, variant_id=launch.variant_id, **_values())
    assert refused.value.status == 403
    services.publish(_owner(community), launch.id)
    with pytest.raises(DomainError) as refused:
        services.update_launch(member, launch.id, title="Mine now")
    assert refused.value.status == 403


def test_editing_keeps_what_is_not_given_and_validates_the_whole(app):
    launch = _draft()
    owner = _owner(launch.communities[0])
    services.update_launch(owner, launch.id, title="Spring tea tin")
    assert (launch.title, launch.stock, launch.teaser) == ("Spring tea tin", 20, "Soon")
    with pytest.raises(DomainError) as refused:
        services.update_launch(owner, launch.id, mode="raffle")
    assert refused.value.field == "closes_at"


def test_more_stock_after_publishing_is_a_restock_and_less_than_is_taken_is_refused(app):
    launch = _draft()
    owner = _owner(launch.communities[0])
    services.publish(owner, launch.id)
    services.update_launch(owner, launch.id, stock=25)
    assert fresh(Launch, launch.id).stock == 25
    services.restock(owner, launch.id, 5)
    db.session.commit()
    assert fresh(Launch, launch.id).stock == 30
    db.session.execute(sa.update(Launch).where(Launch.id == launch.id).values(held=28))
    with pytest.raises(DomainError, match="already sold or held"):
        services.update_launch(owner, launch.id, stock=27)
    with pytest.raises(DomainError) as refused:
        services.restock(owner, launch.id, 0)
    assert refused.value.code == "bad_units"


def test_a_launch_has_at_most_ten_stages(app):
    launch = _draft()
    owner = _owner(launch.communities[0])
    for day in range(services.MAX_STAGES):
        services.add_stage(owner, launch.id, reveal_at=START + timedelta(hours=day + 1), title=f"Stage {day}")
    with pytest.raises(DomainError) as refused:
        services.add_stage(owner, launch.id, reveal_at=START + timedelta(hours=20), title="One too many")
    assert refused.value.code == "too_many_stages"
    assert count(RevealStage) == services.MAX_STAGES


def test_a_stage_is_edited_and_removed_by_its_maker(app):
    launch = _draft()
    owner = _owner(launch.communities[0])
    stage = services.add_stage(owner, launch.id, reveal_at=START + timedelta(hours=1), title="Colour", price=100)
    services.update_stage(owner, launch.id, stage.id, title="The colour", price=None)
    assert (stage.title, stage.price) == ("The colour", None)
    with pytest.raises(DomainError) as refused:
        services.update_stage(owner, launch.id, stage.id, title="")
    assert refused.value.code == "required"
    services.remove_stage(owner, launch.id, stage.id)
    db.session.commit()
    assert count(RevealStage) == 0


def test_a_supplier_launches_its_own_variant_across_two_communities(app, client):
    clock.freeze(START)
    supplier, staff = supplier_with_staff()
    variant = make_product(supplier).variants[0]
    first, second, third = make_community(), make_community(), make_community()
    launch = services.create_supplier_launch(staff, supplier.id, [first.id, second.id], variant_id=variant.id,
                                             **_values())
    services.publish(staff, launch.id)
    db.session.commit()
    assert (launch.supplier_id, launch.communities) == (supplier.id, [first, second])

    for community, status in ((first, 200), (second, 200), (third, 404)):
        login_as(client, add_member(community))
        assert client.get(f"/c/{community.slug}/launches/{launch.id}").status_code == status
        client.post("/logout")
    other = make_product(make_supplier()).variants[0]
    with pytest.raises(DomainError) as refused:
        services.create_supplier_launch(staff, supplier.id, [first.id], variant_id=other.id, **_values())
    assert refused.value.code == "bad_variant"


def test_a_supplier_cannot_mix_currencies_across_communities(app):
    clock.freeze(START)
    supplier, staff = supplier_with_staff()
    variant = make_product(supplier).variants[0]
    communities = [make_community(currency="CNY").id, make_community(currency="USD").id]
    with pytest.raises(DomainError) as refused:
        services.create_supplier_launch(staff, supplier.id, communities, variant_id=variant.id, **_values())
    assert refused.value.code == "bad_communities"


def test_outsiders_get_a_404_for_a_launch_by_page_api_and_image(app, client):
    launch = _draft()
    services.publish(_owner(launch.communities[0]), launch.id)
    db.session.commit()
    outsider_home = make_community()
    outsider = add_member(outsider_home)
    login_as(client, outsider)
    slug = launch.communities[0].slug
    assert client.get(f"/c/{slug}/launches/{launch.id}").status_code == 404
    assert client.get(f"/c/{outsider_home.slug}/launches/{launch.id}").status_code == 404
    assert client.get(f"/c/{slug}/launches").status_code == 404
    assert client.get(f"/api/v1/launches/{launch.id}", headers=token_headers(outsider)).status_code == 404


def test_members_do_not_see_a_draft_until_it_is_published(app, client):
    launch = _draft(title="Hush hush tin")
    community = launch.communities[0]
    login_as(client, add_member(community))
    assert client.get(f"/c/{community.slug}/launches/{launch.id}").status_code == 404
    assert "Hush hush tin" not in client.get(f"/c/{community.slug}/launches").get_data(as_text=True)
    services.publish(_owner(community), launch.id)
    db.session.commit()
    assert "Hush hush tin" in client.get(f"/c/{community.slug}/launches").get_data(as_text=True)


def test_a_member_follows_and_unfollows_a_launch(app, client):
    launch = _draft()
    community = launch.communities[0]
    services.publish(_owner(community), launch.id)
    member = add_member(community)
    db.session.commit()
    login_as(client, member)
    base = f"/c/{community.slug}/launches/{launch.id}"
    assert client.post(f"{base}/follow").status_code == 302
    assert client.post(f"{base}/follow").status_code == 302
    assert services.is_following(member, fresh(Launch, launch.id))
    client.post(f"{base}/unfollow")
    assert not services.is_following(member, fresh(Launch, launch.id))


def test_a_shopkeeper_creates_a_launch_and_a_stage_through_the_pages(app, client):
    clock.freeze(START)
    community = make_community(timezone="UTC")
    variant = make_product(make_supplier()).variants[0]
    login_as(client, _owner(community))
    assert client.get(f"/c/{community.slug}/launches/new").status_code == 200
    form = {"variant_id": variant.id, "title": "Paged tin", "teaser": "", "price": "99.00", "stock": 10,
            "per_member_limit": 2, "opens_at": "2026-05-03T08:00", "closes_at": "", "mode": "first_come",
            "checkout_minutes": 10, "claim_minutes": 60}
    refused = client.post(f"/c/{community.slug}/launches/new", data={**form, "per_member_limit": 20})
    assert refused.status_code == 422 and count(Launch) == 0
    response = client.post(f"/c/{community.slug}/launches/new", data=form)
    assert response.status_code == 302
    launch = db.session.query(Launch).one()
    assert (launch.price, launch.opens_at) == (9900, datetime(2026, 5, 3, 8, 0, tzinfo=UTC))
    stage = {"reveal_at": "2026-05-02T08:00", "title": "The lid", "body": "", "price": "", "specs": ""}
    assert client.post(f"/c/{community.slug}/launches/{launch.id}/stages", data=stage).status_code == 302
    assert client.post(f"/c/{community.slug}/launches/{launch.id}/publish").status_code == 302
    assert fresh(Launch, launch.id).status == LaunchStatus.PUBLISHED
    assert "The lid" in client.get(f"/c/{community.slug}/launches/{launch.id}/edit").get_data(as_text=True)


def test_a_supplier_creates_a_launch_for_two_communities_through_the_catalog_pages(app, client):
    clock.freeze(START)
    supplier, staff = supplier_with_staff()
    variant = make_product(supplier).variants[0]
    first, second = make_community(), make_community()
    login_as(client, staff)
    assert client.get("/catalog/launches/new").status_code == 200
    form = {"variant_id": variant.id, "title": "Brand tin", "teaser": "", "price": "99.00", "stock": 10,
            "per_member_limit": 1, "opens_at": "2026-05-03T08:00", "closes_at": "", "mode": "first_come",
            "checkout_minutes": 10, "claim_minutes": 60, "community_ids": [first.id, second.id]}
    response = client.post("/catalog/launches/new", data=form)
    assert response.status_code == 302
    launch = db.session.query(Launch).one()
    assert response.headers["Location"].endswith(f"/catalog/launches/{launch.id}/edit")
    assert ([c.id for c in launch.communities], launch.supplier_id) == ([first.id, second.id], supplier.id)
    assert client.get(f"/catalog/launches/{launch.id}/edit").status_code == 200
    assert client.post(f"/catalog/launches/{launch.id}/publish").status_code == 302
    assert fresh(Launch, launch.id).status == LaunchStatus.PUBLISHED
    client.post("/logout")
    login_as(client, _owner(first))  # a shopkeeper of one of its communities does not manage it
    assert client.get(f"/catalog/launches/{launch.id}/edit").status_code == 403
