"""The whole first visit of a new member, over HTTP, as one story: register through an invite link,
join, read the feed, comment, and write to the shopkeeper — who sees it waiting."""

from accounts.models import User
from core.extensions import db
from shopkeeper.models import Comment, Membership, Message
from tests.factories import login_as, make_community, make_invite, make_pickup_point, make_post


def test_a_newcomer_joins_by_invite_reads_the_feed_comments_and_messages_the_shopkeeper(app):
    community = make_community(name="Lotus Court", slug="lotus-court")
    shopkeeper = community.owner
    point = make_pickup_point(community, name="Gate house")
    post = make_post(community, body="Lychees arrive on Friday: who wants a box?")
    link = f"/join/{make_invite(community).token}"
    ana = app.test_client()

    assert "Lotus Court" in ana.get(link).get_data(as_text=True)
    registered = ana.post(f"/register?next={link}",
                          data={"display_name": "Ana", "email": "ana@example.com", "password": "long enough"})
    assert registered.headers["Location"] == link
    joined = ana.post(link, data={"pickup_point_id": str(point.id)})
    assert joined.status_code == 302 and joined.headers["Location"] == "/c/lotus-court"

    feed = ana.get("/c/lotus-court").get_data(as_text=True)
    assert "Lychees arrive on Friday" in feed

    commented = ana.post(f"/c/lotus-court/posts/{post.id}/comments", data={"body": "One box for me, please!"})
    assert commented.status_code == 302
    assert "One box for me, please!" in ana.get(f"/c/lotus-court/posts/{post.id}").get_data(as_text=True)

    sent = ana.post("/c/lotus-court/messages", data={"body": "Can I pick up on Saturday instead?"})
    assert sent.status_code == 302
    assert "Can I pick up on Saturday instead?" in ana.get("/c/lotus-court/messages").get_data(as_text=True)

    db.session.expire_all()
    member = db.session.execute(db.select(User).filter_by(email="ana@example.com")).scalar_one()
    membership = db.session.execute(db.select(Membership).filter_by(user_id=member.id)).scalar_one()
    assert (membership.community_id, membership.pickup_point_id) == (community.id, point.id)
    assert db.session.execute(db.select(Comment.body).filter_by(author_id=member.id)).scalar_one() == \
        "One box for me, please!"
    assert db.session.execute(db.select(Message.body).filter_by(sender_id=member.id)).scalar_one() == \
        "Can I pick up on Saturday instead?"

    keeper = login_as(app.test_client(), shopkeeper)
    inbox = keeper.get("/messages").get_data(as_text=True)
    assert "Ana" in inbox and 'data-testid="unread-badge">1<' in inbox
    thread = keeper.get(f"/c/lotus-court/messages/{member.id}").get_data(as_text=True)
    assert "Can I pick up on Saturday instead?" in thread
    assert 'data-testid="unread-badge"' not in keeper.get("/messages").get_data(as_text=True)
