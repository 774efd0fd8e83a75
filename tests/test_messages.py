"""One-to-one messages between a community's shopkeeper and its members, with unread counts and
throttled email notifications."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from core import clock
from core.extensions import db
from core.mail import OutboxEmail
from shopkeeper import messaging
from shopkeeper.models import Message, Thread
from tests.factories import (
    add_member,
    login_as,
    make_community,
    make_product,
    make_supplier,
    make_tag,
    make_user,
    token_headers,
)
from tests.social_factories import count, counting_queries


@pytest.fixture
def world(client):
    community = make_community(name="Lotus Court")
    member = add_member(community, make_user(display_name="Li Na"))
    return {"community": community, "shopkeeper": community.owner, "member": member}


def logged_in(app, user):
    return login_as(app.test_client(), user)


def unread_badge(page: str) -> str | None:
    marker = 'data-testid="unread-badge">'
    return page.split(marker)[1].split("<")[0] if marker in page else None


def emails_to(user) -> list[OutboxEmail]:
    db.session.expire_all()
    return list(db.session.execute(db.select(OutboxEmail).filter_by(recipient=user.email)
                                   .order_by(OutboxEmail.id)).scalars())


def test_a_member_writes_and_the_shopkeeper_reads_and_replies(app, world):
    community, member, shopkeeper = world["community"], world["member"], world["shopkeeper"]
    member_client, shop_client = logged_in(app, member), logged_in(app, shopkeeper)
    assert "No messages yet" in member_client.get(f"/c/{community.slug}/messages").get_data(as_text=True)
    assert count(Thread) == 0  # looking does not open a thread

    for body in ("Are the lychees ripe?", "And can I pick up on Sunday?"):
        response = member_client.post(f"/c/{community.slug}/messages", data={"body": body})
        assert response.status_code == 302
    assert count(Thread) == 1 and count(Message) == 2

    home = shop_client.get(f"/c/{community.slug}").get_data(as_text=True)
    assert unread_badge(home) == "2"
    inbox = shop_client.get("/messages").get_data(as_text=True)
    assert "Li Na" in inbox and 'data-testid="thread-unread"' in inbox and "And can I pick up on Sunday?" in inbox

    thread = shop_client.get(f"/c/{community.slug}/messages/{member.id}").get_data(as_text=True)
    assert "Are the lychees ripe?" in thread
    assert unread_badge(shop_client.get("/messages").get_data(as_text=True)) is None
    assert count(Message, Message.read_at.is_(None)) == 0

    reply = shop_client.post(f"/c/{community.slug}/messages/{member.id}", data={"body": "Yes, and yes."})
    assert reply.status_code == 302
    assert unread_badge(member_client.get("/messages").get_data(as_text=True)) == "1"
    assert "Yes, and yes." in member_client.get(f"/c/{community.slug}/messages").get_data(as_text=True)
    assert unread_badge(member_client.get("/messages").get_data(as_text=True)) is None


@pytest.mark.parametrize("body", ["", "   ", "x" * 2001])
def test_an_empty_or_overlong_message_is_refused_with_a_field_error(app, world, body):
    community, member = world["community"], world["member"]
    member_client, shop_client = logged_in(app, member), logged_in(app, world["shopkeeper"])

    for client, url in ((member_client, f"/c/{community.slug}/messages"),
                        (shop_client, f"/c/{community.slug}/messages/{member.id}")):
        response = client.post(url, data={"body": body})
        assert response.status_code == 422
        assert 'class="error"' in response.get_data(as_text=True)
    assert count(Thread) == 0 and count(Message) == 0 and emails_to(world["shopkeeper"]) == []


def test_a_member_never_reaches_another_members_thread(app, world):
    community, member = world["community"], world["member"]
    neighbour = add_member(community)
    logged_in(app, neighbour).post(f"/c/{community.slug}/messages", data={"body": "A private question"})
    client = logged_in(app, member)

    assert client.get(f"/c/{community.slug}/messages/{neighbour.id}").status_code == 404
    assert client.post(f"/c/{community.slug}/messages/{neighbour.id}", data={"body": "hi"}).status_code == 404
    assert client.get(f"/c/{community.slug}/messages/{member.id}").status_code == 404
    assert "A private question" not in client.get("/messages").get_data(as_text=True)
    assert count(Message) == 1


def test_outsiders_and_non_members_get_404(app, world):
    community = world["community"]
    other = make_community()
    stranger = add_member(other)
    client = logged_in(app, stranger)

    assert client.get(f"/c/{community.slug}/messages").status_code == 404
    assert client.post(f"/c/{community.slug}/messages", data={"body": "hello"}).status_code == 404
    assert client.get(f"/c/{community.slug}/messages/{world['member'].id}").status_code == 404

    other_shop = logged_in(app, other.owner)
    # a shopkeeper cannot write to someone who is not a member of the community addressed
    assert other_shop.get(f"/c/{other.slug}/messages/{world['member'].id}").status_code == 404
    assert other_shop.post(f"/c/{other.slug}/messages/{world['member'].id}", data={"body": "hi"}).status_code == 404
    assert other_shop.get(f"/c/{other.slug}/messages/99999999999999999999").status_code == 404
    assert count(Message) == 0


def test_the_shopkeeper_is_sent_from_the_member_page_to_the_inbox(app, world):
    response = logged_in(app, world["shopkeeper"]).get(f"/c/{world['community'].slug}/messages")
    assert response.status_code == 302 and response.headers["Location"].endswith("/messages")


def test_the_inbox_holds_both_roles_newest_activity_first(app, world):
    clock.freeze(datetime(2025, 5, 1, 9, tzinfo=UTC))
    member = world["member"]
    own_community = make_community(member, name="Li Na's Tea Club")
    customer = add_member(own_community, make_user(display_name="Wang Wei"))
    client = logged_in(app, member)

    client.post(f"/c/{world['community'].slug}/messages", data={"body": "to my shopkeeper"})
    clock.advance(timedelta(minutes=5))
    logged_in(app, customer).post(f"/c/{own_community.slug}/messages", data={"body": "to Li Na, shopkeeper"})

    page = client.get("/messages").get_data(as_text=True)
    assert page.index("Wang Wei") < page.index(world["shopkeeper"].display_name)
    assert "Member of Li Na&#39;s Tea Club" in page and "Shopkeeper of Lotus Court" in page
    assert unread_badge(page) == "1"


def test_unread_messages_are_counted_in_one_query(app, world):
    community, member = world["community"], world["member"]
    logged_in(app, member).post(f"/c/{community.slug}/messages", data={"body": "one"})
    with counting_queries() as statements:
        assert messaging.unread_count(world["shopkeeper"]) == 1
    assert len(statements) == 1


def test_the_inbox_costs_the_same_number_of_queries_for_two_threads_or_twelve(app, world):
    community, shopkeeper = world["community"], world["shopkeeper"]
    client = logged_in(app, shopkeeper)

    def someone_writes():
        member = add_member(community)
        thread = Thread(community_id=community.id, member_id=member.id, last_message_at=clock.now())
        db.session.add(thread)
        db.session.flush()
        db.session.add(Message(thread_id=thread.id, sender_id=member.id, body="hello"))
        db.session.commit()

    def queries_for_inbox() -> int:
        with counting_queries() as statements:
            assert client.get("/messages").status_code == 200
        return len(statements)

    for _ in range(2):
        someone_writes()
    few = queries_for_inbox()
    for _ in range(10):
        someone_writes()
    assert queries_for_inbox() == few
    assert unread_badge(client.get("/messages").get_data(as_text=True)) == "12"


def test_notification_emails_wait_an_hour_unless_the_last_one_was_read(app, world):
    clock.freeze(datetime(2025, 5, 1, 9, tzinfo=UTC))
    community, member, shopkeeper = world["community"], world["member"], world["shopkeeper"]
    member_client, shop_client = logged_in(app, member), logged_in(app, shopkeeper)

    def member_writes(body="hello"):
        assert member_client.post(f"/c/{community.slug}/messages", data={"body": body}).status_code == 302

    member_writes("Are you there?")
    [first] = emails_to(shopkeeper)
    assert "Li Na" in first.subject and f"/c/{community.slug}/messages/{member.id}" in first.body
    assert first.sent_at is not None  # delivered by the job after the commit

    clock.advance(timedelta(minutes=30))
    member_writes()
    assert len(emails_to(shopkeeper)) == 1  # still unread, notified 30 minutes ago

    # the other side's notice does not mute a reply
    assert shop_client.post(f"/c/{community.slug}/messages/{member.id}", data={"body": "Here!"}).status_code == 302
    assert len(emails_to(member)) == 1

    clock.advance(timedelta(minutes=31))
    member_writes()
    assert len(emails_to(shopkeeper)) == 2  # an hour since the last notice

    shop_client.get(f"/c/{community.slug}/messages/{member.id}")  # read it all
    clock.advance(timedelta(minutes=1))
    member_writes()
    assert len(emails_to(shopkeeper)) == 3  # the last notice was read: a new message is news again


def test_the_shopkeeper_sees_recommendations_beside_the_thread(app, world):
    community = world["community"]
    dry = make_tag("skin", "dry")
    make_product(make_supplier(), name="Rose hydrating serum", tags=(dry,))
    make_product(make_supplier(), name="Oil control gel", tags=(make_tag("skin", "oily"),))
    tagged = add_member(community, make_user(display_name="Zhang Wei"), tags=(dry,))

    page = logged_in(app, world["shopkeeper"]).get(f"/c/{community.slug}/messages/{tagged.id}")

    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Rose hydrating serum" in text and "Oil control gel" not in text


# The API mirrors the pages.

def test_the_api_mirrors_the_messages(client, world):
    community, member, shopkeeper = world["community"], world["member"], world["shopkeeper"]
    reader, shop = token_headers(member), token_headers(shopkeeper)
    slug = community.slug

    sent = client.post(f"/api/v1/communities/{slug}/messages", json={"body": "Hello shop"}, headers=reader)
    assert sent.status_code == 201 and sent.json["sender"]["id"] == member.id
    assert client.get("/api/v1/messages/unread", headers=shop).json == {"unread": 1}
    [line] = client.get("/api/v1/messages/threads", headers=shop).json
    assert line["role"] == "shopkeeper" and line["unread"] == 1 and line["counterpart"]["id"] == member.id
    assert line["community"]["slug"] == slug and line["last_message"]["body"] == "Hello shop"

    read = client.get(f"/api/v1/communities/{slug}/messages/{member.id}", headers=shop)
    assert [m["body"] for m in read.json] == ["Hello shop"]
    assert client.get("/api/v1/messages/unread", headers=shop).json == {"unread": 0}

    reply = client.post(f"/api/v1/communities/{slug}/messages/{member.id}", json={"body": "Hi!"}, headers=shop)
    assert reply.status_code == 201
    assert client.get("/api/v1/messages/threads", headers=reader).json[0]["unread"] == 1
    assert [m["body"] for m in client.get(f"/api/v1/communities/{slug}/messages", headers=reader).json] == \
        ["Hi!", "Hello shop"]
    assert client.get("/api/v1/messages/unread", headers=reader).json == {"unread": 0}
    assert client.get(f"/api/v1/communities/{slug}/messages", headers=shop).json["error"]["code"] == \
        "runs_community"


def test_the_api_keeps_threads_private(client, world):
    community, member = world["community"], world["member"]
    neighbour = add_member(community)
    client.post(f"/api/v1/communities/{community.slug}/messages", json={"body": "private"},
                headers=token_headers(neighbour))
    reader, outsider = token_headers(member), token_headers(add_member(make_community()))

    answers = [
        client.get(f"/api/v1/communities/{community.slug}/messages/{neighbour.id}", headers=reader),
        client.post(f"/api/v1/communities/{community.slug}/messages/{neighbour.id}", json={"body": "x"},
                    headers=reader),
        client.get(f"/api/v1/communities/{community.slug}/messages", headers=outsider),
        client.post(f"/api/v1/communities/{community.slug}/messages", json={"body": "x"}, headers=outsider),
        client.get(f"/api/v1/communities/{community.slug}/messages/{member.id}", headers=outsider),
    ]

    assert [answer.status_code for answer in answers] == [404] * len(answers)
    assert client.get("/api/v1/messages/threads", headers=reader).json == []
    assert count(Message) == 1


@pytest.mark.parametrize("payload", [{"body": ""}, {"body": "  "}, {"body": "\x00"}, {"body": 42}, {},
                                     {"body": "x" * 2001}, {"body": "\udfff"}])
def test_garbage_messages_are_refused_cleanly(client, world, payload):
    response = client.post(f"/api/v1/communities/{world['community'].slug}/messages", json=payload,
                           headers=token_headers(world["member"]))
    assert 400 <= response.status_code < 500
    assert response.json["error"]["code"] and count(Message) == 0
