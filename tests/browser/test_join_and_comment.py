"""A neighbour gets an invite link on their phone, makes an account, joins and talks in the community."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from accounts.models import User
from core.extensions import db
from shopkeeper.models import Comment, Membership, MembershipRole
from tests.browser.phone import assert_fits_phone
from tests.factories import PASSWORD, make_community, make_invite, make_post, make_user

pytestmark = pytest.mark.browser


def test_a_neighbour_joins_by_invite_on_a_phone_and_comments_on_a_post(phone, screenshot):
    shopkeeper = make_user(display_name="Chen Jing 陈静")
    community = make_community(shopkeeper, name="Lotus Court Neighbours", slug="lotus-court")
    post = make_post(community, shopkeeper, body="Hainan lychees arrive on Friday — who wants a box?")
    invite = make_invite(community, label="WeChat moments")
    token, slug, post_id, post_body = invite.token, community.slug, post.id, post.body
    join_path = f"/join/{token}"

    phone.goto(join_path)
    expect(phone.get_by_role("main")).to_contain_text("Lotus Court Neighbours")
    screenshot(phone, "join-page")
    assert_fits_phone(phone)

    phone.get_by_role("main").get_by_role("link", name="Create an account").click()
    expect(phone).to_have_url(re.compile(r"/register\?next="))
    phone.get_by_label("Your name").fill("Li Na 李娜")
    phone.get_by_label("Email").fill("li.na@example.com")
    phone.get_by_label("Password").fill(PASSWORD)
    phone.get_by_role("main").get_by_role("button", name="Register").click()

    expect(phone).to_have_url(re.compile(re.escape(join_path) + "$"))
    phone.get_by_role("main").get_by_role("button", name="Join").click()

    expect(phone).to_have_url(re.compile(rf"/c/{slug}/?$"))
    expect(phone.get_by_text(post_body)).to_be_visible()
    screenshot(phone, "feed")
    assert_fits_phone(phone)

    phone.get_by_test_id("post").filter(has_text=post_body).get_by_role("link", name="Comment").click()
    expect(phone).to_have_url(re.compile(rf"/c/{slug}/posts/{post_id}"))
    phone.get_by_label("Your comment").fill("我要两盒 — two boxes for us, please!")
    phone.get_by_role("button", name="Comment").click()

    expect(phone.get_by_test_id("comment").filter(has_text="我要两盒 — two boxes for us, please!")).to_be_visible()
    screenshot(phone, "after-comment")
    assert_fits_phone(phone)

    db.session.expire_all()
    newcomer = db.session.execute(sa.select(User).where(User.email == "li.na@example.com")).scalar_one()
    membership = db.session.execute(sa.select(Membership).where(
        Membership.community_id == community.id, Membership.user_id == newcomer.id)).scalar_one()
    assert membership.role == MembershipRole.MEMBER
    assert membership.invite_id == invite.id
    comment = db.session.execute(sa.select(Comment).where(Comment.post_id == post_id)).scalar_one()
    assert (comment.author_id, comment.body) == (newcomer.id, "我要两盒 — two boxes for us, please!")
