"""A shopkeeper on the bus: opens the member list on a phone, narrows it to one tag, opens a member
and sees which products suit them."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from accounts.models import Role
from tests.browser.phone import assert_fits_phone, log_in
from tests.factories import add_member, make_community, make_product, make_supplier, make_tag, make_user

pytestmark = pytest.mark.browser


def test_a_shopkeeper_filters_members_by_tag_and_sees_recommendations_on_a_phone(phone, screenshot):
    dry, oily = make_tag("skin", "dry", "Dry skin", "干性"), make_tag("skin", "oily", "Oily skin", "油性")
    design = make_tag("home", "design", "Design home", "设计")
    make_product(make_supplier(name="Yunnan Botanicals"), name="Hydrating rose toner", tags=(dry,))
    make_product(make_supplier(name="Pearl River Lab"), name="Oil-control clay mask", tags=(oily,))
    shopkeeper = make_user(display_name="Chen Jing 陈静", roles=(Role.SHOPKEEPER,))
    community = make_community(shopkeeper, name="Lotus Court Neighbours", slug="lotus-court")
    for name, tags in (("Li Na 李娜", (dry,)), ("Zhang Wei 张伟", (oily,)), ("Emma Brown", ()),
                       ("Wang Fang 王芳", (dry, design))):
        add_member(community, make_user(display_name=name), tags=tags)
    members_path = f"/c/{community.slug}/members"

    log_in(phone, shopkeeper.email, next_path=members_path)
    table = phone.get_by_test_id("members")
    expect(table.get_by_role("link")).to_have_count(5)
    assert_fits_phone(phone)

    phone.get_by_text("With all of these tags").click()
    phone.get_by_label("Dry skin").check()
    phone.get_by_role("button", name="Search").click()

    expect(phone).to_have_url(re.compile(r"[?&]tag=\d+"))
    expect(table.get_by_role("link")).to_have_text(["Wang Fang 王芳", "Li Na 李娜"])
    expect(phone.get_by_test_id("member-count")).to_have_text("2 members match.")
    screenshot(phone, "members-with-dry-skin")
    assert_fits_phone(phone)

    table.get_by_role("link", name="Li Na 李娜").click()
    expect(phone.get_by_test_id("member-name")).to_have_text("Li Na 李娜")
    recommendations = phone.get_by_test_id("recommendations")
    expect(recommendations).to_contain_text("Hydrating rose toner")
    expect(recommendations).not_to_contain_text("Oil-control clay mask")
    screenshot(phone, "member-with-recommendations")
    assert_fits_phone(phone)
