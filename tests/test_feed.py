"""The community feed: the shopkeeper posts, members read, comment and react; outsiders see nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.extensions import db
from shopkeeper.models import Comment, Post, PostImage, Reaction
from tests.factories import add_member, login_as, make_community, make_user, token_headers
from tests.social_factories import count, counting_queries, make_comment, make_post, png, text_file


@pytest.fixture
def world():
    community = make_community(name="Lotus Court")
    member = add_member(community, make_user(display_name="Li Na"))
    return {"community": community, "shopkeeper": community.owner, "member": member}


@pytest.fixture
def new_uploads(app):
    """The files stored under UPLOAD_FOLDER since the test began (the folder lives for the whole run)."""
    folder = Path(app.config["UPLOAD_FOLDER"])
    before = set(folder.iterdir()) if folder.exists() else set()
    return lambda: sorted(set(folder.iterdir()) - before) if folder.exists() else []


def test_a_member_reads_the_feed_with_pinned_posts_leading(client, world):
    community = world["community"]
    make_post(community, body="An old announcement")
    make_post(community, body="Pickup rules", pinned=True)
    make_post(community, body="Mangoes this week")
    login_as(client, world["member"])

    page = client.get(f"/c/{community.slug}").get_data(as_text=True)

    assert "Lotus Court" in page
    assert page.index("Pickup rules") < page.index("Mangoes this week") < page.index("An old announcement")
    assert "Only the shopkeeper posts here" in page
    assert 'data-testid="community-panel"' in page


def test_the_feed_pages_twenty_posts_at_a_time(client, world):
    community = world["community"]
    for n in range(23):
        make_post(community, body=f"Post number {n:02d}")
    login_as(client, world["member"])

    first = client.get(f"/c/{community.slug}").get_data(as_text=True)
    second = client.get(f"/c/{community.slug}?page=2").get_data(as_text=True)

    assert first.count('data-testid="post"') == 20 and "Post number 22" in first
    assert second.count('data-testid="post"') == 3 and "Post number 00" in second
    assert client.get(f"/c/{community.slug}?page=99999999999999999999").status_code == 200


def test_the_feed_costs_the_same_number_of_queries_for_three_posts_or_twenty(client, world):
    community, member = world["community"], world["member"]
    login_as(client, member)

    def queries_for_feed() -> int:
        with counting_queries() as statements:
            assert client.get(f"/c/{community.slug}").status_code == 200
        return len(statements)

    for _ in range(3):
        post = make_post(community)
        make_comment(post, member)
        db.session.add(PostImage(post_id=post.id, filename="x.png"))
        db.session.add(Reaction(post_id=post.id, user_id=member.id, kind="like"))
        db.session.commit()
    few = queries_for_feed()
    for _ in range(17):
        post = make_post(community)
        for _ in range(5):
            make_comment(post, add_member(community))
    assert queries_for_feed() == few


def test_a_member_comments_and_the_feed_shows_the_latest_three(client, world):
    community, member = world["community"], world["member"]
    post = make_post(community, body="Who wants durian?")
    for n in range(3):
        make_comment(post, world["shopkeeper"], body=f"Earlier note {n}")
    login_as(client, member)

    response = client.post(f"/c/{community.slug}/posts/{post.id}/comments", data={"body": "  Me, two boxes!  "})

    assert response.status_code == 302
    comment = db.session.execute(db.select(Comment).filter_by(author_id=member.id)).scalar_one()
    assert comment.body == "Me, two boxes!"
    feed = client.get(f"/c/{community.slug}").get_data(as_text=True)
    assert "Me, two boxes!" in feed and "Earlier note 0" not in feed and "Earlier note 1" in feed
    assert "See all 4 comments" in feed
    detail = client.get(f"/c/{community.slug}/posts/{post.id}").get_data(as_text=True)
    assert "Earlier note 0" in detail and "Me, two boxes!" in detail and 'name="body"' in detail


@pytest.mark.parametrize("body", ["", "   ", "x" * 2001])
def test_an_empty_or_overlong_comment_is_refused_and_nothing_is_saved(client, world, body):
    community = world["community"]
    post = make_post(community)
    login_as(client, world["member"])

    response = client.post(f"/c/{community.slug}/posts/{post.id}/comments", data={"body": body})

    assert response.status_code == 422
    assert 'class="error"' in response.get_data(as_text=True)
    assert count(Comment) == 0


def test_reacting_again_takes_the_reaction_back(client, world):
    community, member = world["community"], world["member"]
    post = make_post(community)
    login_as(client, member)
    url = f"/c/{community.slug}/posts/{post.id}/reactions/want?back=feed"

    assert client.post(url).headers["Location"].endswith(f"/c/{community.slug}#post-{post.id}")
    assert count(Reaction, Reaction.user_id == member.id, Reaction.kind == "want") == 1
    page = client.get(f"/c/{community.slug}").get_data(as_text=True)
    assert 'aria-pressed="true" data-testid="react-want"' in page

    client.post(url)
    assert count(Reaction, Reaction.user_id == member.id) == 0
    assert client.post(f"/c/{community.slug}/posts/{post.id}/reactions/hate").status_code == 404


def test_the_shopkeeper_posts_with_real_photos(new_uploads, client, world):
    community = world["community"]
    login_as(client, world["shopkeeper"])

    response = client.post(f"/c/{community.slug}/posts", content_type="multipart/form-data",
                           data={"body": "Lychee boxes are here", "images": [png("a.png"), png("b.png", "red")]})

    assert response.status_code == 302
    post = db.session.execute(db.select(Post)).scalar_one()
    assert [image.position for image in post.images] == [0, 1]
    assert len(new_uploads()) == 2
    page = client.get(f"/c/{community.slug}").get_data(as_text=True)
    assert f"/uploads/{post.images[0].filename}" in page
    assert client.get(f"/uploads/{post.images[0].filename}").status_code == 200


@pytest.mark.parametrize("files", [[text_file()], [png(), text_file()]], ids=["text only", "photo then text"])
def test_a_text_file_posing_as_a_photo_is_refused_and_nothing_is_saved(new_uploads, client, world, files):
    community = world["community"]
    login_as(client, world["shopkeeper"])

    response = client.post(f"/c/{community.slug}/posts", content_type="multipart/form-data",
                           data={"body": "Look at this", "images": files})

    assert response.status_code == 400
    assert "not an image we can read" in response.get_data(as_text=True)
    assert count(Post) == 0 and count(PostImage) == 0
    assert new_uploads() == []


def test_ten_photos_are_too_many(new_uploads, client, world):
    login_as(client, world["shopkeeper"])
    response = client.post(f"/c/{world['community'].slug}/posts", content_type="multipart/form-data",
                           data={"body": "So many", "images": [png(f"{n}.png") for n in range(10)]})
    assert response.status_code == 400
    assert count(Post) == 0 and new_uploads() == []


def test_the_shopkeeper_pins_edits_and_deletes_a_post_and_its_photos_go_too(new_uploads, client, world):
    community = world["community"]
    login_as(client, world["shopkeeper"])
    client.post(f"/c/{community.slug}/posts", content_type="multipart/form-data",
                data={"body": "First draft", "images": [png()]})
    post_id = db.session.execute(db.select(Post.id)).scalar_one()
    make_comment(db.session.get(Post, post_id), world["member"])
    db.session.add(Reaction(post_id=post_id, user_id=world["member"].id, kind="love"))
    db.session.commit()
    base = f"/c/{community.slug}/posts/{post_id}"

    assert client.post(f"{base}/pin").status_code == 302
    assert db.session.get(Post, post_id).pinned
    assert client.post(f"{base}/edit", data={"body": "Final words"}).status_code == 302
    assert client.post(f"{base}/edit", data={"body": " "}).status_code == 422
    db.session.expire_all()
    assert db.session.get(Post, post_id).body == "Final words"
    assert client.post(f"{base}/unpin").status_code == 302
    assert client.post(f"{base}/delete").status_code == 302

    assert count(Post) == count(Comment) == count(Reaction) == count(PostImage) == 0
    assert new_uploads() == []


def test_a_member_cannot_post_pin_edit_or_delete_posts(client, world):
    community = world["community"]
    post = make_post(community, body="Shop rules")
    login_as(client, world["member"])
    base = f"/c/{community.slug}/posts/{post.id}"

    assert client.post(f"/c/{community.slug}/posts", data={"body": "My own post"}).status_code == 403
    assert client.post(f"{base}/pin").status_code == 403
    assert client.get(f"{base}/edit").status_code == 403
    assert client.post(f"{base}/edit", data={"body": "Hacked"}).status_code == 403
    assert client.post(f"{base}/delete").status_code == 403
    db.session.expire_all()
    post = db.session.get(Post, post.id)
    assert count(Post) == 1 and post.body == "Shop rules" and not post.pinned


def test_members_delete_their_own_comments_and_the_shopkeeper_any(client, world):
    community, member = world["community"], world["member"]
    post = make_post(community)
    mine = make_comment(post, member, body="mine")
    theirs = make_comment(post, add_member(community), body="theirs")
    login_as(client, member)

    assert client.post(f"/c/{community.slug}/comments/{theirs.id}/delete").status_code == 403
    assert client.post(f"/c/{community.slug}/comments/{mine.id}/delete").status_code == 302
    assert count(Comment) == 1

    shop = client.application.test_client()
    login_as(shop, world["shopkeeper"])
    assert shop.post(f"/c/{community.slug}/comments/{theirs.id}/delete").status_code == 302
    assert count(Comment) == 0


def test_a_member_of_another_community_sees_nothing_of_this_one(client, world):
    community = world["community"]
    post = make_post(community)
    comment = make_comment(post, world["member"])
    elsewhere = make_community()
    stranger = add_member(elsewhere)
    login_as(client, stranger)
    base = f"/c/{community.slug}/posts/{post.id}"

    assert client.get(f"/c/{community.slug}").status_code == 404
    assert client.get(base).status_code == 404
    assert client.post(f"{base}/comments", data={"body": "hi"}).status_code == 404
    assert client.post(f"{base}/reactions/like").status_code == 404
    assert client.post(f"/c/{community.slug}/comments/{comment.id}/delete").status_code == 404
    assert client.post(f"/c/{community.slug}/posts", data={"body": "spam"}).status_code == 404
    # and through their own community's address, the post is not there either
    assert client.get(f"/c/{elsewhere.slug}/posts/{post.id}").status_code == 404
    assert client.post(f"/c/{elsewhere.slug}/posts/{post.id}/reactions/like").status_code == 404
    assert client.post(f"/c/{elsewhere.slug}/comments/{comment.id}/delete").status_code == 404
    assert count(Comment) == 1 and count(Reaction) == 0 and count(Post) == 1


def test_a_shopkeeper_cannot_reach_another_communitys_post_through_their_own(client, world):
    post = make_post(world["community"])
    other = make_community()
    login_as(client, other.owner)
    assert client.post(f"/c/{other.slug}/posts/{post.id}/delete").status_code == 404
    assert client.post(f"/c/{other.slug}/posts/{post.id}/pin").status_code == 404
    assert count(Post) == 1


def test_the_feed_asks_visitors_to_log_in(client, world):
    response = client.get(f"/c/{world['community'].slug}")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


# The API mirrors the pages.

def test_the_api_mirrors_the_feed(client, world):
    community, member = world["community"], world["member"]
    shop, reader = token_headers(world["shopkeeper"]), token_headers(member)
    slug = community.slug

    created = client.post(f"/api/v1/communities/{slug}/posts", json={"body": "Hello, neighbours"}, headers=shop)
    assert created.status_code == 201
    post_id = created.json["id"]
    assert created.json["author"] == {"id": world["shopkeeper"].id, "display_name": world["shopkeeper"].display_name}
    assert client.post(f"/api/v1/communities/{slug}/posts", json={"body": "me too"}, headers=reader).status_code == 403

    assert client.post(f"/api/v1/posts/{post_id}/comments", json={"body": "Hi!"}, headers=reader).status_code == 201
    reacted = client.post(f"/api/v1/posts/{post_id}/reactions", json={"kind": "love"}, headers=reader)
    assert reacted.json == {"kind": "love", "reacted": True, "reactions": {"like": 0, "love": 1, "want": 0}}
    assert client.post(f"/api/v1/posts/{post_id}/pin", headers=shop).json["pinned"] is True

    listed = client.get(f"/api/v1/communities/{slug}/posts", headers=reader)
    assert listed.status_code == 200
    [entry] = listed.json
    assert entry["pinned"] and entry["comment_count"] == 1 and entry["my_reactions"] == ["love"]
    assert entry["latest_comments"][0]["body"] == "Hi!"
    assert "X-Pagination" in listed.headers

    again = client.post(f"/api/v1/posts/{post_id}/reactions", json={"kind": "love"}, headers=reader)
    assert again.json["reacted"] is False and again.json["reactions"]["love"] == 0

    patched = client.patch(f"/api/v1/posts/{post_id}", json={"body": "Hello again", "pinned": False}, headers=shop)
    assert patched.json["body"] == "Hello again" and patched.json["pinned"] is False
    assert client.patch(f"/api/v1/posts/{post_id}", json={"body": "mine"}, headers=reader).status_code == 403

    comments = client.get(f"/api/v1/posts/{post_id}/comments", headers=reader).json
    assert [c["body"] for c in comments] == ["Hi!"]
    assert client.delete(f"/api/v1/comments/{comments[0]['id']}", headers=reader).status_code == 204
    assert client.delete(f"/api/v1/posts/{post_id}", headers=reader).status_code == 403
    assert client.delete(f"/api/v1/posts/{post_id}", headers=shop).status_code == 204
    assert client.get(f"/api/v1/posts/{post_id}", headers=shop).status_code == 404


def test_the_api_answers_outsiders_with_404_for_everything(client, world):
    post = make_post(world["community"])
    comment = make_comment(post, world["member"])
    outsider = token_headers(add_member(make_community()))
    slug = world["community"].slug

    answers = [
        client.get(f"/api/v1/communities/{slug}/posts", headers=outsider),
        client.post(f"/api/v1/communities/{slug}/posts", json={"body": "x"}, headers=outsider),
        client.get(f"/api/v1/posts/{post.id}", headers=outsider),
        client.patch(f"/api/v1/posts/{post.id}", json={"body": "x"}, headers=outsider),
        client.delete(f"/api/v1/posts/{post.id}", headers=outsider),
        client.post(f"/api/v1/posts/{post.id}/pin", json={}, headers=outsider),
        client.get(f"/api/v1/posts/{post.id}/comments", headers=outsider),
        client.post(f"/api/v1/posts/{post.id}/comments", json={"body": "x"}, headers=outsider),
        client.delete(f"/api/v1/comments/{comment.id}", headers=outsider),
        client.post(f"/api/v1/posts/{post.id}/reactions", json={"kind": "like"}, headers=outsider),
    ]

    assert [answer.status_code for answer in answers] == [404] * len(answers)
    assert all(answer.json["error"]["code"] == "not_found" for answer in answers)
    assert count(Comment) == 1 and count(Reaction) == 0


@pytest.mark.parametrize("method, path, payload", [
    ("post", "/api/v1/posts/{post}/comments", {"body": "\x00\x00"}),
    ("post", "/api/v1/posts/{post}/comments", {"body": "\ud800 lone surrogate"}),
    ("post", "/api/v1/posts/{post}/comments", {"body": ["a list"]}),
    ("post", "/api/v1/posts/{post}/reactions", {"kind": "hate"}),
    ("patch", "/api/v1/posts/{post}", {"pinned": "maybe"}),
    ("get", "/api/v1/posts/99999999999999999999999", None),
    ("delete", "/api/v1/comments/9223372036854775808", None),
    ("get", "/api/v1/communities/{slug}/posts?page=99999999999999999999&page_size=100", None),
    ("get", "/api/v1/communities/{slug}/posts?page=0", None),
])
def test_garbage_never_breaks_the_api(client, world, method, path, payload):
    post = make_post(world["community"])
    headers = token_headers(world["shopkeeper"])
    url = path.format(post=post.id, slug=world["community"].slug)

    response = getattr(client, method)(url, json=payload, headers=headers) if payload is not None else \
        getattr(client, method)(url, headers=headers)

    assert response.status_code < 500, response.get_data(as_text=True)
    if response.status_code >= 400:
        assert set(response.json["error"]) == {"code", "message", "fields"}
    assert count(Comment) == 0
