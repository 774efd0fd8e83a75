"""Chinese as people meet it: a language picked from a link sticks, refused forms and API answers speak
Chinese, tags are named in the reader's language everywhere, and no page offers a link that leads nowhere."""

from accounts.models import Role, User
from core.extensions import db
from tests.community_helpers import page_text
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

ZH = "zh_Hans_CN"


def _dry_skin():
    return make_tag("skin", "dry", label_en="Dry skin", label_zh="干性肌肤")


def test_a_visitor_who_follows_a_chinese_link_stays_in_chinese_and_registers_in_it(client):
    client.get(f"/?lang={ZH}")

    login_page = page_text(client.get("/login"))
    assert '<html lang="zh-Hans">' in login_page and "第一次来？" in login_page

    response = client.post("/register", data={"display_name": "小美", "email": "mei@example.com",
                                              "password": "long enough"})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.execute(db.select(User).filter_by(email="mei@example.com")).scalar_one().locale == ZH


def test_a_link_in_english_switches_a_chinese_visitor_back(client):
    client.get(f"/?lang={ZH}")
    client.get("/?lang=en")

    assert "New here?" in page_text(client.get("/login"))


def test_an_empty_form_is_refused_in_chinese_by_the_built_in_validators_too(client):
    response = client.post(f"/register?lang={ZH}", data={})

    assert response.status_code == 422
    assert "该字段是必填字段。" in page_text(response)
    assert "This field is required." not in page_text(response)


def test_an_api_field_error_speaks_the_callers_language(client):
    shopkeeper = make_user(roles=(Role.SHOPKEEPER,), locale=ZH)

    response = client.post("/api/v1/communities", headers=token_headers(shopkeeper),
                           json={"name": "果园", "timezone": "Mars/Olympus"})

    assert response.status_code == 422
    assert response.get_json()["error"]["fields"]["timezone"] == ["不是有效的 IANA 时区，例如 Asia/Shanghai。"]


def test_an_operator_refused_a_tag_code_reads_why_in_chinese(client):
    operator = make_user(roles=(Role.OPERATOR,), locale=ZH)

    response = client.post("/api/v1/tags", headers=token_headers(operator),
                           json={"namespace": "Skin Type", "value": "dry", "label_en": "Dry", "label_zh": "干"})

    assert response.status_code == 422
    assert response.get_json()["error"]["fields"]["namespace"] == ["只能使用小写字母、数字和连字符。"]


def test_tags_on_catalog_pages_are_named_in_the_readers_language(client):
    staff = make_user(locale=ZH)
    supplier = make_supplier(staff=(staff,))
    product = make_product(supplier, name="Camellia oil", tags=[_dry_skin()])
    shopkeeper = make_user(roles=(Role.SHOPKEEPER,), locale=ZH)

    login_as(client, shopkeeper)
    for path in ("/products", f"/products/{product.id}"):
        text = page_text(client.get(path))
        assert ">干性肌肤</span>" in text and ">Dry skin</span>" not in text, path
    client.post("/logout")
    login_as(client, staff)
    assert ">干性肌肤</span>" in page_text(client.get("/catalog"))
    assert "> 干性肌肤" in page_text(client.get(f"/catalog/products/{product.id}"))


def test_the_member_filters_and_tag_choices_are_grouped_under_named_headings(client):
    owner = make_user(locale=ZH)
    community = make_community(owner, slug="orchard")
    member = make_user(locale=ZH)
    add_member(community, member, tags=[_dry_skin()])

    login_as(client, owner)
    for path in ("/c/orchard/members", f"/c/orchard/members/{member.id}"):
        text = page_text(client.get(path))
        assert "<legend>肤质</legend>" in text and "<legend>skin</legend>" not in text, path


def test_lead_times_count_days_in_either_language(client):
    shopkeeper = make_user(roles=(Role.SHOPKEEPER,))
    product = make_product(make_supplier(), lead_time_days=1)
    login_as(client, shopkeeper)

    assert "<td>1 day</td>" in page_text(client.get(f"/products/{product.id}"))
    assert "<td>1 天</td>" in page_text(client.get(f"/products/{product.id}?lang={ZH}"))


def test_a_shopkeepers_own_line_in_the_member_list_offers_no_message_thread(client):
    owner = make_user()
    community = make_community(owner, slug="orchard")
    member = make_user()
    add_member(community, member)
    login_as(client, owner)

    assert 'data-testid="message-member"' not in page_text(client.get(f"/c/orchard/members/{owner.id}"))
    member_page = page_text(client.get(f"/c/orchard/members/{member.id}"))
    assert f'href="/c/orchard/messages/{member.id}" data-testid="message-member"' in member_page
    assert client.get(f"/c/orchard/messages/{member.id}").status_code == 200


def test_the_settings_page_shows_the_web_address_in_one_sentence(client):
    owner = make_user(locale=ZH)
    make_community(owner, slug="orchard")
    login_as(client, owner)

    assert "网址：<code>/c/orchard</code>" in page_text(client.get("/c/orchard/settings"))
