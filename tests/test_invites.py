"""Invite links: creating, listing, withdrawing; joining through one (pages and API); leaving."""

import threading
from datetime import UTC, datetime, timedelta

from core import clock
from core.extensions import db
from shopkeeper.models import Invite, Membership, MemberTag
from tests.community_helpers import membership, page_text
from tests.factories import (
    add_member,
    login_as,
    make_community,
    make_invite,
    make_pickup_point,
    make_tag,
    make_user,
    token_headers,
)


def _members(community) -> int:
    db.session.expire_all()
    return db.session.execute(
        db.select(db.func.count(Membership.id)).filter_by(community_id=community.id)).scalar()


def _uses(invite) -> int:
    db.session.expire_all()
    return db.session.get(Invite, invite.id).use_count


def test_a_newcomer_registers_through_the_invite_link_and_lands_in_the_community(client):
    community = make_community(name="Lotus Court", slug="lotus-court")
    community.description = "Fresh fruit for the neighbours"
    db.session.commit()
    point = make_pickup_point(community, name="Gate house")
    invite = make_invite(community)
    link = f"/join/{invite.token}"

    landing = client.get(link)
    assert landing.status_code == 200
    assert "Lotus Court" in page_text(landing) and "Fresh fruit for the neighbours" in page_text(landing)
    assert f"/register?next=/join/{invite.token}" in page_text(landing)

    registered = client.post(f"/register?next={link}", data={"display_name": "Ana", "email": "ana@example.com",
                                                              "password": "long enough"})
    assert registered.headers["Location"] == link
    assert "Gate house" in page_text(client.get(link))
    joined = client.post(link, data={"pickup_point_id": str(point.id)})

    assert joined.status_code == 302
    assert joined.headers["Location"] == "/c/lotus-court"
    ana = db.session.execute(db.select(Membership).filter_by(community_id=community.id, role="member")).scalar_one()
    assert (ana.pickup_point_id, ana.invite_id) == (point.id, invite.id)
    assert _uses(invite) == 1
    assert "Lotus Court" in page_text(client.get("/communities"))


def test_joining_twice_is_harmless_and_counts_once(client):
    community = make_community()
    invite = make_invite(community)
    login_as(client, make_user())
    assert client.post(f"/join/{invite.token}").status_code == 302
    again = client.post(f"/join/{invite.token}")
    assert again.status_code == 302
    assert client.get(f"/join/{invite.token}").status_code == 302
    assert (_members(community), _uses(invite)) == (2, 1)


def _refuses(client, invite, code: str, reason: str) -> None:
    community_members = _members(invite.community)
    page = client.get(f"/join/{invite.token}")
    assert page.status_code == 410 and reason in page_text(page)
    response = client.post(f"/join/{invite.token}")
    assert response.status_code == 410
    assert f'data-code="{code}"' in page_text(response) and reason in page_text(response)
    assert _members(invite.community) == community_members


def test_a_revoked_invite_refuses_to_join_and_writes_nothing(client):
    invite = make_invite(make_community(), revoked=True)
    login_as(client, make_user())
    _refuses(client, invite, "invite_revoked", "withdrawn")
    assert _uses(invite) == 0


def test_an_expired_invite_refuses_to_join(client):
    clock.freeze()
    invite = make_invite(make_community(), expires_at=clock.now() + timedelta(days=1))
    login_as(client, make_user())
    clock.advance(timedelta(days=1, seconds=1))
    _refuses(client, invite, "invite_expired", "expired")
    assert _uses(invite) == 0


def test_a_used_up_invite_refuses_to_join(client):
    community = make_community()
    invite = make_invite(community, max_uses=1)
    first = make_user()
    login_as(client, first)
    assert client.post(f"/join/{invite.token}").status_code == 302
    late = client.application.test_client()
    login_as(late, make_user())
    _refuses(late, invite, "invite_used_up", "used as many times")
    assert (_uses(invite), _members(community)) == (1, 2)


def test_an_unknown_invite_is_not_found(client):
    login_as(client, make_user())
    assert client.get("/join/no-such-token").status_code == 404
    assert client.post("/join/no%00such").status_code == 404


def test_max_uses_holds_when_people_join_at_the_same_moment(app):
    community = make_community()
    invite = make_invite(community, max_uses=3)
    people = [make_user() for _ in range(8)]
    clients = []
    for person in people:
        clients.append(login_as(app.test_client(), person))
    barrier = threading.Barrier(len(clients))
    link = f"/join/{invite.token}"
    codes = []

    def join(c):
        barrier.wait()
        codes.append(c.post(link).status_code)

    threads = [threading.Thread(target=join, args=(c,)) for c in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(codes).count(302) == 3
    assert (_uses(invite), _members(community)) == (3, 4)


def test_a_pickup_point_of_another_community_is_refused_at_joining(client):
    community = make_community()
    invite = make_invite(community)
    elsewhere = make_pickup_point(make_community())
    login_as(client, make_user())
    response = client.post(f"/join/{invite.token}", data={"pickup_point_id": str(elsewhere.id)})
    assert response.status_code == 422
    assert (_members(community), _uses(invite)) == (1, 0)


def test_the_shopkeeper_creates_lists_and_withdraws_invite_links(client):
    owner = make_user()
    community = make_community(owner, slug="garden", timezone="Asia/Shanghai")
    login_as(client, owner)
    clock.freeze(datetime(2030, 1, 1, tzinfo=UTC))
    created = client.post("/c/garden/invites", data={"label": "Neighbours", "expires_at": "2030-01-08T20:00",
                                                     "max_uses": "5"})
    assert created.status_code == 302
    invite = db.session.execute(db.select(Invite)).scalar_one()
    assert invite.expires_at == datetime(2030, 1, 8, 12, tzinfo=UTC)  # 20:00 in Shanghai is 12:00 UTC
    page = page_text(client.get("/c/garden/invites"))
    assert "Neighbours" in page and f"http://localhost/join/{invite.token}" in page and "Used 0 of 5 times" in page

    assert client.post(f"/c/garden/invites/{invite.id}/revoke").status_code == 302
    db.session.expire_all()
    assert db.session.get(Invite, invite.id).revoked_at is not None
    assert "Withdrawn" in page_text(client.get("/c/garden/invites"))
    assert community.id == invite.community_id


def test_an_invite_cannot_expire_in_the_past_or_allow_zero_uses(client):
    owner = make_user()
    make_community(owner, slug="garden")
    login_as(client, owner)
    assert client.post("/c/garden/invites", data={"expires_at": "2001-01-01T10:00"}).status_code == 400
    assert client.post("/c/garden/invites", data={"max_uses": "0"}).status_code == 422
    assert client.post("/c/garden/invites", data={"max_uses": "lots"}).status_code == 422
    assert db.session.execute(db.select(db.func.count(Invite.id))).scalar() == 0


def test_invites_are_hidden_from_other_communities_and_forbidden_to_members(client):
    community = make_community(slug="garden")
    invite = make_invite(community)
    member = add_member(community)
    login_as(client, member)
    assert client.get("/c/garden/invites").status_code == 403
    assert client.post(f"/c/garden/invites/{invite.id}/revoke").status_code == 403

    other_owner = make_user()
    make_community(other_owner, slug="elsewhere")
    outsider = login_as(client.application.test_client(), other_owner)
    assert outsider.get("/c/garden/invites").status_code == 404
    assert outsider.post(f"/c/elsewhere/invites/{invite.id}/revoke").status_code == 404
    assert outsider.post(f"/api/v1/invites/{invite.id}/revoke", headers=token_headers(other_owner)).status_code == 404
    db.session.expire_all()
    assert db.session.get(Invite, invite.id).revoked_at is None


def test_a_member_leaves_and_their_tags_go_with_them(client):
    community = make_community(slug="garden")
    member = add_member(community, tags=(make_tag("skin", "dry"),))
    login_as(client, member)
    assert client.post("/c/garden/leave").status_code == 302
    assert membership(community, member) is None
    assert db.session.execute(db.select(db.func.count()).select_from(MemberTag)).scalar() == 0


def test_the_owner_cannot_leave_the_community_they_run(client):
    owner = make_user()
    community = make_community(owner, slug="garden")
    login_as(client, owner)
    assert client.post("/c/garden/leave").status_code == 409
    assert membership(community, owner) is not None


def test_the_api_mirrors_invites_and_joining(client):
    owner = make_user()
    community = make_community(owner, slug="garden")
    point = make_pickup_point(community)
    headers = token_headers(owner)
    created = client.post("/api/v1/communities/garden/invites", json={"label": "Flyer", "max_uses": 1},
                          headers=headers)
    assert created.status_code == 201
    token = created.json["token"]
    assert created.json["url"].endswith(f"/join/{token}") and created.json["state"] == "active"

    newcomer = token_headers(make_user())
    joined = client.post(f"/api/v1/join/{token}", json={"pickup_point_id": point.id}, headers=newcomer)
    assert (joined.status_code, joined.json["community"]["slug"], joined.json["pickup_point_id"]) == (
        201, "garden", point.id)
    assert client.post(f"/api/v1/join/{token}", json={}, headers=newcomer).status_code == 200
    used_up = client.post(f"/api/v1/join/{token}", json={}, headers=token_headers(make_user()))
    assert (used_up.status_code, used_up.json["error"]["code"]) == (410, "invite_used_up")

    listed = client.get("/api/v1/communities/garden/invites", headers=headers).json
    assert [(i["use_count"], i["state"]) for i in listed] == [(1, "used_up")]
    revoked = client.post(f"/api/v1/invites/{listed[0]['id']}/revoke", headers=headers)
    assert (revoked.status_code, revoked.json["state"]) == (200, "revoked")
    assert _members(community) == 2


def test_the_api_refuses_garbage_invites(client):
    owner = make_user()
    make_community(owner, slug="garden")
    headers = token_headers(owner)
    for body in [{"max_uses": 0}, {"max_uses": 10**12}, {"max_uses": "3"}, {"expires_at": "yesterday"},
                 {"expires_at": "2030-01-01T10:00:00"}, {"expires_at": "2001-01-01T10:00:00+00:00"},
                 {"label": "x" * 81}]:
        response = client.post("/api/v1/communities/garden/invites", json=body, headers=headers)
        assert 400 <= response.status_code < 500, body
    assert client.post("/api/v1/join/nope", json={"pickup_point_id": 2**40},
                       headers=headers).status_code in (404, 422)
    assert db.session.execute(db.select(db.func.count(Invite.id))).scalar() == 0
