"""Members: the shopkeeper's list (search, tag and pickup filters, pages), CSV export, member detail with
tags and a private note, the member's own page, and who may see any of it."""

import csv
import io
from datetime import UTC, datetime, timedelta

from core import clock
from core.extensions import db
from shopkeeper.members import member_page
from shopkeeper.models import Membership, MemberTag
from tests.community_helpers import membership, page_text
from tests.factories import add_member, login_as, make_community, make_pickup_point, make_tag, make_user, token_headers


def _names(response) -> list[str]:
    table = page_text(response).split('data-testid="members"')[1].split("</table>")[0]
    return [chunk.split(">", 1)[1].split("<", 1)[0] for chunk in table.split('<a href="')[1:]]


def _csv(response) -> list[list[str]]:
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


def _club(owner=None):
    owner = owner or make_user(display_name="Chen Jing")
    return owner, make_community(owner, slug="garden", timezone="Asia/Shanghai")


def test_the_member_list_shows_the_newest_first_and_searches_by_name(client):
    owner, community = _club()
    clock.freeze(datetime(2030, 3, 1, tzinfo=UTC))
    for name in ("Li Na", "Zhang Wei", "Lina Park", "Emma 100%_off"):
        clock.advance(timedelta(minutes=1))
        add_member(community, make_user(display_name=name))
    login_as(client, owner)

    assert _names(client.get("/c/garden/members")) == ["Emma 100%_off", "Lina Park", "Zhang Wei", "Li Na",
                                                       "Chen Jing"]
    assert _names(client.get("/c/garden/members?q=LI")) == ["Lina Park", "Li Na"]
    assert _names(client.get("/c/garden/members?q=%25_")) == ["Emma 100%_off"]  # wildcards are literal
    assert "2 members match." in page_text(client.get("/c/garden/members?q=li"))


def test_a_two_character_chinese_name_is_found_whatever_its_place_in_the_name(client):
    owner, community = _club()
    for name in ("王芳", "李王芳华", "王小芳", "芳王", "Wang Fang 王芳"):
        add_member(community, make_user(display_name=name))
    login_as(client, owner)
    assert sorted(_names(client.get("/c/garden/members?q=王芳"))) == sorted(["王芳", "李王芳华", "Wang Fang 王芳"])
    assert sorted(_names(client.get("/c/garden/members?q=芳"))) == sorted(
        ["王芳", "李王芳华", "王小芳", "芳王", "Wang Fang 王芳"])
    assert _names(client.get("/c/garden/members?q=wang f")) == ["Wang Fang 王芳"]


def test_the_tag_filter_keeps_members_with_all_chosen_tags(client):
    owner, community = _club()
    dry, sensitive, budget = make_tag("skin", "dry"), make_tag("skin", "sensitive"), make_tag("home", "budget")
    add_member(community, make_user(display_name="Only dry"), tags=(dry,))
    add_member(community, make_user(display_name="Dry and sensitive"), tags=(dry, sensitive))
    add_member(community, make_user(display_name="Everything"), tags=(dry, sensitive, budget))
    add_member(community, make_user(display_name="Budget"), tags=(budget,))
    login_as(client, owner)

    assert _names(client.get(f"/c/garden/members?tag={dry.id}&tag={sensitive.id}")) == [
        "Everything", "Dry and sensitive"]
    assert _names(client.get(f"/c/garden/members?tag={budget.id}&q=every")) == ["Everything"]
    assert _names(client.get("/c/garden/members?tag=oops&tag=-3&page=x")) == [
        "Budget", "Everything", "Dry and sensitive", "Only dry", "Chen Jing"]


def test_the_pickup_point_filter(client):
    owner, community = _club()
    gate = make_pickup_point(community, name="Gate")
    near = add_member(community, make_user(display_name="Near the gate"))
    add_member(community, make_user(display_name="Far away"))
    db.session.execute(db.update(Membership).where(Membership.user_id == near.id).values(pickup_point_id=gate.id))
    db.session.commit()
    login_as(client, owner)
    assert _names(client.get(f"/c/garden/members?pickup_point={gate.id}")) == ["Near the gate"]


def test_the_member_list_pages_by_fifty(client):
    owner, community = _club()
    clock.freeze(datetime(2030, 3, 1, tzinfo=UTC))
    for n in range(1, 121):
        clock.advance(timedelta(seconds=1))
        add_member(community, make_user(display_name=f"Member {n:03}"))
    login_as(client, owner)

    first, third = client.get("/c/garden/members"), client.get("/c/garden/members?page=3")
    assert _names(first)[:2] == ["Member 120", "Member 119"] and len(_names(first)) == 50
    assert "page=2" in page_text(first)
    assert _names(third) == [f"Member {n:03}" for n in range(20, 0, -1)] + ["Chen Jing"]
    assert "121 members match." in page_text(third)
    assert _names(client.get("/c/garden/members?page=9")) == []


def test_member_page_reports_whether_there_is_a_next_page():
    _owner, community = _club()
    for _ in range(4):
        add_member(community)
    first = member_page(community.id, per_page=2)
    last = member_page(community.id, page=3, per_page=2)
    assert (len(first.items), first.has_next) == (2, True)
    assert (len(last.items), last.has_next) == (1, False)
    assert {member.user_id for member in first.items + last.items} <= {
        m.user_id for m in db.session.execute(db.select(Membership)).scalars()}


def test_the_csv_has_the_matching_members_no_emails_and_no_formulas(client):
    owner, community = _club()
    dry = make_tag("skin", "dry", "Dry skin", "干性")
    gate = make_pickup_point(community, name="=HYPERLINK(\"http://evil\")")
    clock.freeze(datetime(2030, 3, 1, 12, 0, tzinfo=UTC))
    evil = add_member(community, make_user(display_name="=1+2", email="evil@example.com"), tags=(dry,))
    clock.advance(timedelta(hours=1))
    add_member(community, make_user(display_name="@SUM(A1)", email="at@example.com"), tags=(dry,))
    add_member(community, make_user(display_name="Untagged", email="plain@example.com"))
    db.session.execute(db.update(Membership).where(Membership.user_id == evil.id).values(pickup_point_id=gate.id))
    db.session.commit()
    login_as(client, owner)

    response = client.get(f"/c/garden/members.csv?tag={dry.id}", buffered=True)
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = _csv(response)
    assert rows == [
        ["Name", "Joined (Asia/Shanghai)", "Pickup point", "Tags"],
        ["'@SUM(A1)", "2030-03-01 21:00", "", "Dry skin"],
        ["'=1+2", "2030-03-01 20:00", "'=HYPERLINK(\"http://evil\")", "Dry skin"],
    ]
    everyone = client.get("/c/garden/members.csv", buffered=True)
    assert "@example.com" not in response.get_data(as_text=True) + everyone.get_data(as_text=True)
    assert len(_csv(everyone)) == 5


def test_the_member_list_shows_no_emails(client):
    owner, community = _club()
    add_member(community, make_user(display_name="Li Na", email="li.na@example.com"))
    login_as(client, owner)
    assert "li.na@example.com" not in page_text(client.get("/c/garden/members"))
    assert "Li Na" in page_text(client.get("/c/garden/members"))


def test_a_member_of_one_community_finds_nothing_of_another(client):
    _owner, garden = _club()
    member_there = add_member(garden)
    other_owner = make_user()
    make_community(other_owner, slug="orchard")
    login_as(client, other_owner)
    for path in ("/c/garden/members", "/c/garden/members.csv", f"/c/garden/members/{member_there.id}",
                 "/c/garden/invites", "/c/garden/me", "/c/garden/pickup-points"):
        assert client.get(path).status_code == 404, path
    assert client.post(f"/c/garden/members/{member_there.id}/tags", data={}).status_code == 404
    assert client.get(f"/c/orchard/members/{member_there.id}").status_code == 404
    headers = token_headers(other_owner)
    for path in ("/api/v1/communities/garden/members", f"/api/v1/communities/garden/members/{member_there.id}/tags",
                 f"/api/v1/communities/garden/members/{member_there.id}/recommendations",
                 "/api/v1/communities/garden/invites"):
        assert client.get(path, headers=headers).status_code == 404, path


def test_a_plain_member_may_not_see_the_member_list(client):
    _owner, community = _club()
    member = add_member(community)
    login_as(client, member)
    assert client.get("/c/garden/members").status_code == 403
    assert client.get("/c/garden/members.csv").status_code == 403
    assert client.get(f"/c/garden/members/{member.id}").status_code == 403


def test_the_shopkeeper_tags_a_member_and_keeps_a_private_note(client):
    owner, community = _club()
    dry, oily = make_tag("skin", "dry", "Dry skin"), make_tag("skin", "oily", "Oily skin")
    member = add_member(community, make_user(display_name="Li Na"), tags=(oily,))
    login_as(client, owner)

    page = page_text(client.get(f"/c/garden/members/{member.id}"))
    assert "Li Na" in page and "Dry skin" in page and "Oily skin" in page
    assert client.post(f"/c/garden/members/{member.id}/tags", data={"tag_ids": [str(dry.id)]}).status_code == 302
    assert client.post(f"/c/garden/members/{member.id}/note", data={"note": "Prefers Saturday pickup"}
                       ).status_code == 302

    mine = membership(community, member)
    assert [(t.tag_id, t.set_by_shopkeeper) for t in mine.tags] == [(dry.id, True)]
    assert mine.note == "Prefers Saturday pickup"
    assert "Prefers Saturday pickup" in page_text(client.get(f"/c/garden/members/{member.id}"))
    member_client = login_as(client.application.test_client(), member)
    assert "Prefers Saturday pickup" not in page_text(member_client.get("/c/garden/me"))


def test_unknown_or_retired_tags_are_refused(client):
    owner, community = _club()
    retired = make_tag("skin", "old")
    retired.active = False
    db.session.commit()
    member = add_member(community)
    login_as(client, owner)
    for value in (str(retired.id), "999999", "not-a-number"):
        response = client.post(f"/c/garden/members/{member.id}/tags", data={"tag_ids": [value]})
        assert response.status_code == 422, value
    assert db.session.execute(db.select(db.func.count()).select_from(MemberTag)).scalar() == 0


def test_a_member_describes_themself_and_picks_a_pickup_point(client):
    _owner, community = _club()
    dry, oily = make_tag("skin", "dry"), make_tag("skin", "oily")
    gate = make_pickup_point(community, name="Gate")
    withdrawn = make_pickup_point(community, name="Closed shop", active=False)
    member = add_member(community, tags=(dry,))
    login_as(client, member)

    page = page_text(client.get("/c/garden/me"))
    assert "Gate" in page and "Closed shop" not in page
    assert client.post("/c/garden/me/tags", data={"tag_ids": [str(dry.id), str(oily.id)]}).status_code == 302
    assert client.post("/c/garden/me/pickup-point", data={"pickup_point_id": str(gate.id)}).status_code == 302
    assert client.post("/c/garden/me/pickup-point", data={"pickup_point_id": str(withdrawn.id)}).status_code == 422

    mine = membership(community, member)
    assert sorted((t.tag_id, t.set_by_shopkeeper) for t in mine.tags) == [(dry.id, True), (oily.id, False)]
    assert mine.pickup_point_id == gate.id
    assert client.post("/c/garden/me/tags", data={}).status_code == 302
    assert membership(community, member).tags == []


def test_the_api_lists_members_with_the_same_filters(client):
    owner, community = _club()
    dry = make_tag("skin", "dry")
    clock.freeze(datetime(2030, 3, 1, tzinfo=UTC))
    for name, tags in (("Li Na", (dry,)), ("Zhang Wei", ()), ("Lina Park", (dry,))):
        clock.advance(timedelta(minutes=1))
        add_member(community, make_user(display_name=name, email=f"{name.split()[0].lower()}@example.com"),
                   tags=tags)
    headers = token_headers(owner)

    body = client.get(f"/api/v1/communities/garden/members?q=li&tag={dry.id}&per_page=1", headers=headers).json
    assert [m["display_name"] for m in body["items"]] == ["Lina Park"]
    assert (body["has_next"], body["total"], body["total_is_lower_bound"]) == (True, 2, False)
    assert body["items"][0]["tags"][0]["code"] == "skin:dry"
    second = client.get(f"/api/v1/communities/garden/members?q=li&tag={dry.id}&per_page=1&page=2",
                        headers=headers).json
    assert [m["display_name"] for m in second["items"]] == ["Li Na"] and second["has_next"] is False
    everyone = client.get("/api/v1/communities/garden/members", headers=headers)
    assert "@example.com" not in everyone.get_data(as_text=True)
    for bad in ("page=0", "page=abc", "per_page=5000", "tag=x", "tag=99999999999", "q=" + "x" * 81):
        response = client.get(f"/api/v1/communities/garden/members?{bad}", headers=headers)
        assert response.status_code == 422, bad


def test_the_api_sets_tags_for_the_shopkeeper_and_for_the_member_themself(client):
    owner, community = _club()
    dry, oily = make_tag("skin", "dry"), make_tag("skin", "oily")
    member = add_member(community)
    other = add_member(community)
    url = f"/api/v1/communities/garden/members/{member.id}/tags"

    tagged = client.put(url, json={"tag_ids": [dry.id]}, headers=token_headers(owner))
    assert (tagged.status_code, [(t["code"], t["set_by_shopkeeper"]) for t in tagged.json]) == (
        200, [("skin:dry", True)])
    member_headers = token_headers(member)
    mine = client.put(url, json={"tag_ids": [dry.id, oily.id]}, headers=member_headers)
    assert sorted((t["code"], t["set_by_shopkeeper"]) for t in mine.json) == [
        ("skin:dry", True), ("skin:oily", False)]
    assert client.get(url, headers=member_headers).status_code == 200
    assert client.get(f"/api/v1/communities/garden/members/{other.id}/tags",
                      headers=member_headers).status_code == 404
    assert client.put(url, json={"tag_ids": [999999]}, headers=member_headers).status_code == 422
    assert client.put(url, json={"tag_ids": "dry"}, headers=member_headers).status_code == 422


def test_the_csv_streams_in_batches_and_misses_nobody(client, monkeypatch):
    from shopkeeper import member_export

    owner, community = _club()
    dry = make_tag("skin", "dry", "Dry skin")
    for n in range(7):
        add_member(community, make_user(display_name=f"Member {n}"), tags=(dry,) if n % 2 else ())
    monkeypatch.setattr(member_export, "BATCH", 2)
    login_as(client, owner)

    rows = _csv(client.get("/c/garden/members.csv", buffered=True))
    assert sorted(row[0] for row in rows[1:]) == ["Chen Jing"] + [f"Member {n}" for n in range(7)]
    tags = {row[0]: row[3] for row in rows[1:]}
    assert (tags["Member 1"], tags["Member 2"], tags["Member 5"]) == ("Dry skin", "", "Dry skin")
