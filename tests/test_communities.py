"""Communities: self-serve shop opening, creating and configuring a community, pickup points, the API."""

from accounts.models import Role, User
from core.extensions import db
from shopkeeper.models import Community, MembershipRole, PickupPoint
from tests.community_helpers import membership, page_text
from tests.factories import add_member, login_as, make_community, make_pickup_point, make_user, token_headers

NEW = {"name": "Green Garden", "slug": "", "description": "Vegetables from the hills", "currency": "CNY",
       "timezone": "Asia/Shanghai"}


def _communities() -> list[Community]:
    db.session.expire_all()
    return list(db.session.execute(db.select(Community).order_by(Community.id)).scalars())


def test_a_member_opens_their_shop_and_runs_a_new_community(client):
    mei = make_user(display_name="Mei")
    login_as(client, mei)
    page = page_text(client.get("/communities"))
    assert 'data-testid="open-shop"' in page and "Create a community" not in page

    assert client.post("/communities/open-shop").headers["Location"].endswith("/communities/new")
    response = client.post("/communities/new", data=NEW)

    assert response.status_code == 302
    (community,) = _communities()
    assert (community.slug, community.name, community.owner_id) == ("green-garden", "Green Garden", mei.id)
    assert membership(community, mei).role == MembershipRole.SHOPKEEPER
    page = page_text(client.get("/communities"))
    assert "Green Garden" in page and "1 member" in page and 'data-testid="open-shop"' not in page


def test_only_a_shopkeeper_creates_communities(client):
    login_as(client, make_user())
    response = client.post("/communities/new", data=NEW)
    assert response.status_code == 403
    assert "Open your shop" in page_text(response)
    assert _communities() == []


def test_a_taken_slug_is_refused_with_a_clear_message_and_nothing_is_written(client):
    make_community(slug="green-garden")
    login_as(client, make_user(roles=(Role.SHOPKEEPER,)))
    response = client.post("/communities/new", data={**NEW, "slug": "green-garden"})
    assert response.status_code == 409
    assert "The address green-garden is taken" in page_text(response)
    assert len(_communities()) == 1


def test_an_empty_slug_is_suggested_from_the_name_and_never_collides(client):
    login_as(client, make_user(roles=(Role.SHOPKEEPER,)))
    client.post("/communities/new", data=NEW)
    client.post("/communities/new", data={**NEW, "slug": "  "})
    client.post("/communities/new", data={**NEW, "name": "团购之家"})
    slugs = [community.slug for community in _communities()]
    assert slugs[:2] == ["green-garden", "green-garden-2"]
    assert slugs[2].startswith("community-")


def test_bad_slugs_currencies_and_time_zones_are_refused_field_by_field(client):
    login_as(client, make_user(roles=(Role.SHOPKEEPER,)))
    for field, value in [("slug", "Green Garden!"), ("slug", "a" * 65), ("currency", "XYZ"),
                         ("timezone", "Mars/Olympus"), ("name", "   ")]:
        response = client.post("/communities/new", data={**NEW, field: value})
        assert response.status_code == 422, (field, value)
        assert 'class="field has-error"' in page_text(response)
    assert _communities() == []


def test_an_uppercase_slug_is_taken_in_lowercase(client):
    login_as(client, make_user(roles=(Role.SHOPKEEPER,)))
    client.post("/communities/new", data={**NEW, "slug": "Green-Garden"})
    assert [community.slug for community in _communities()] == ["green-garden"]


def test_my_communities_lists_what_i_run_and_what_i_belong_to_with_member_counts(client):
    mei = make_user(roles=(Role.SHOPKEEPER,))
    mine = make_community(mei, name="Mei's Garden")
    add_member(mine)
    add_member(mine)
    theirs = make_community(name="Tea Friends")
    add_member(theirs, mei)
    make_community(name="Secret Club")
    login_as(client, mei)

    page = page_text(client.get("/communities"))
    run, belong = page.split('data-testid="communities-i-run"')[1].split('data-testid="communities-i-belong-to"')
    assert "Mei&#39;s Garden" in run and "3 members" in run
    assert "Tea Friends" in belong and "2 members" in belong
    assert "Secret Club" not in page


def test_the_shopkeeper_edits_the_settings_but_not_the_slug(client):
    owner = make_user()
    community = make_community(owner, slug="garden")
    login_as(client, owner)
    response = client.post("/c/garden/settings", data={"name": "Garden Club", "description": "Hello",
                                                        "currency": "EUR", "timezone": "Europe/Paris",
                                                        "slug": "stolen"})
    assert response.status_code == 302
    db.session.expire_all()
    community = db.session.get(Community, community.id)
    assert (community.name, community.currency, community.timezone, community.slug) == (
        "Garden Club", "EUR", "Europe/Paris", "garden")


def test_settings_are_the_shopkeepers_alone(client):
    community = make_community(slug="garden")
    member = add_member(community)
    login_as(client, member)
    assert client.get("/c/garden/settings").status_code == 403
    assert client.post("/c/garden/settings", data={**NEW}).status_code == 403
    outsider = client.application.test_client()
    login_as(outsider, make_user())
    assert outsider.get("/c/garden/settings").status_code == 404
    assert outsider.get("/c/nowhere/settings").status_code == 404


def test_pickup_points_are_added_edited_and_withdrawn(client):
    owner = make_user()
    community = make_community(owner, slug="garden")
    login_as(client, owner)
    point = {"name": "Corner shop", "address": "1 Elm Street", "region": "Xuhui", "opening_hours": "Sat 10–12"}
    assert client.post("/c/garden/pickup-points", data=point).status_code == 302
    (created,) = db.session.execute(db.select(PickupPoint)).scalars()
    assert client.post(f"/c/garden/pickup-points/{created.id}",
                       data={**point, "opening_hours": "Sun 9–11"}).status_code == 302
    assert client.post(f"/c/garden/pickup-points/{created.id}/deactivate").status_code == 302

    db.session.expire_all()
    created = db.session.get(PickupPoint, created.id)
    assert (created.opening_hours, created.active) == ("Sun 9–11", False)
    assert "Not offered" in page_text(client.get("/c/garden/pickup-points"))
    assert client.post(f"/c/garden/pickup-points/{created.id}/reactivate").status_code == 302
    db.session.expire_all()
    assert db.session.get(PickupPoint, created.id).active is True
    assert community.id == created.community_id


def test_a_pickup_point_needs_a_name_and_an_address(client):
    owner = make_user()
    make_community(owner, slug="garden")
    login_as(client, owner)
    response = client.post("/c/garden/pickup-points", data={"name": "Corner", "address": " "})
    assert response.status_code == 422
    assert db.session.execute(db.select(db.func.count(PickupPoint.id))).scalar() == 0


def test_another_communitys_pickup_point_is_not_found(client):
    owner = make_user()
    make_community(owner, slug="garden")
    elsewhere = make_pickup_point(make_community())
    login_as(client, owner)
    assert client.get(f"/c/garden/pickup-points/{elsewhere.id}").status_code == 404
    assert client.post(f"/c/garden/pickup-points/{elsewhere.id}/deactivate").status_code == 404
    db.session.expire_all()
    assert db.session.get(PickupPoint, elsewhere.id).active is True


def test_the_api_creates_shows_and_edits_a_community(client):
    shopkeeper = make_user(roles=(Role.SHOPKEEPER,))
    headers = token_headers(shopkeeper)
    created = client.post("/api/v1/communities", json={"name": "Green Garden"}, headers=headers)
    assert created.status_code == 201
    assert (created.json["slug"], created.json["currency"]) == ("green-garden", "CNY")

    taken = client.post("/api/v1/communities", json={"name": "Other", "slug": "green-garden"}, headers=headers)
    assert (taken.status_code, taken.json["error"]["code"]) == (409, "slug_taken")
    assert "slug" in taken.json["error"]["fields"]

    patched = client.patch("/api/v1/communities/green-garden", json={"timezone": "Europe/Paris"}, headers=headers)
    assert (patched.status_code, patched.json["timezone"]) == (200, "Europe/Paris")
    listed = client.get("/api/v1/communities", headers=headers).json
    assert [(line["community"]["slug"], line["role"], line["member_count"]) for line in listed] == [
        ("green-garden", "shopkeeper", 1)]
    assert client.get("/api/v1/communities/green-garden",
                      headers=token_headers(make_user())).status_code == 404


def test_the_api_manages_pickup_points_and_members_see_only_those_on_offer(client):
    owner = make_user()
    community = make_community(owner, slug="garden")
    headers = token_headers(owner)
    created = client.post("/api/v1/communities/garden/pickup-points",
                          json={"name": "Corner", "address": "1 Elm Street"}, headers=headers)
    assert created.status_code == 201
    withdrawn = client.post("/api/v1/communities/garden/pickup-points",
                            json={"name": "Old shop", "address": "2 Oak Road"}, headers=headers).json
    assert client.patch(f"/api/v1/communities/garden/pickup-points/{withdrawn['id']}", json={"active": False},
                        headers=headers).json["active"] is False

    member_headers = token_headers(add_member(community))
    seen = client.get("/api/v1/communities/garden/pickup-points", headers=member_headers).json
    assert [point["name"] for point in seen] == ["Corner"]
    assert len(client.get("/api/v1/communities/garden/pickup-points", headers=headers).json) == 2
    refused = client.post("/api/v1/communities/garden/pickup-points", json={"name": "Mine", "address": "x"},
                          headers=member_headers)
    assert refused.status_code == 403


def test_garbage_input_to_the_api_is_refused_without_a_server_error(client):
    owner = make_user()
    make_community(owner, slug="garden")
    headers = token_headers(owner)
    garbage = [
        ("post", "/api/v1/communities", {"name": "x\x00y", "slug": "bad slug"}),
        ("post", "/api/v1/communities", {"name": "a" * 500}),
        ("post", "/api/v1/communities", {"name": "ok", "timezone": "\x00"}),
        ("post", "/api/v1/communities", {"name": 12, "currency": None}),
        ("post", "/api/v1/communities", ["not", "an", "object"]),
        ("patch", "/api/v1/communities/garden", {"timezone": "Nowhere/Land"}),
        ("post", "/api/v1/communities/garden/pickup-points", {"name": "", "address": "x"}),
        ("post", "/api/v1/communities/garden/pickup-points", {"name": "n", "address": "a", "region": "r" * 65}),
        ("patch", "/api/v1/communities/garden/pickup-points/99999999999999999999", {"name": "n"}),
        ("get", "/api/v1/communities/%00", None),
        ("get", "/api/v1/communities/" + "x" * 5000, None),
    ]
    for method, url, body in garbage:
        response = getattr(client, method)(url, json=body, headers=headers)
        assert 400 <= response.status_code < 500, (url, body, response.status_code)
        assert "error" in response.json
    assert db.session.execute(db.select(db.func.count(Community.id))).scalar() == 1
    assert db.session.execute(db.select(db.func.count(User.id))).scalar() == 1
