from accounts.models import Role, User
from core.extensions import db
from tests.factories import PASSWORD, login_as, make_user, token_headers


def test_register_logs_the_new_member_in(client):
    response = client.post("/register", data={"display_name": "Mei", "email": "Mei@Example.com",
                                              "password": "long enough"})
    assert response.status_code == 302
    user = db.session.execute(db.select(User)).scalar_one()
    assert user.email == "mei@example.com"
    assert user.password_hash.startswith("$argon2id$")
    assert client.get("/profile").status_code == 200


def test_a_taken_email_is_refused_with_a_clear_message(client):
    make_user(email="mei@example.com")
    response = client.post("/register", data={"display_name": "Mei", "email": "mei@example.com",
                                              "password": "long enough"})
    assert response.status_code == 409
    assert "already exists" in response.get_data(as_text=True)
    assert db.session.execute(db.select(db.func.count(User.id))).scalar() == 1


def test_a_short_password_is_refused_and_nothing_is_saved(client):
    response = client.post("/register", data={"display_name": "Mei", "email": "m@example.com",
                                              "password": "short"})
    assert response.status_code == 422
    assert db.session.execute(db.select(db.func.count(User.id))).scalar() == 0


def test_wrong_password_does_not_log_in(client):
    user = make_user()
    response = client.post("/login", data={"email": user.email, "password": "nope nope nope"})
    assert response.status_code == 401
    assert "Wrong email or password" in response.get_data(as_text=True)
    assert client.get("/profile").status_code == 302


def test_login_is_rate_limited(app, client):
    user = make_user()
    app.config["LOGIN_RATE_LIMIT"] = "3 per minute"
    try:
        codes = [client.post("/login", data={"email": user.email, "password": "bad password"}).status_code
                 for _ in range(4)]
    finally:
        app.config["LOGIN_RATE_LIMIT"] = "1000 per minute"
    assert codes == [401, 401, 401, 429]


def test_logout_ends_the_session(client):
    login_as(client, make_user())
    assert client.post("/logout").status_code == 302
    assert client.get("/profile").status_code == 302


def test_profile_changes_language(client):
    user = make_user()
    login_as(client, user)
    response = client.post("/profile", data={"display_name": "Mei Li", "locale": "zh_Hans_CN",
                                             "timezone": "Asia/Shanghai"})
    assert response.status_code == 302
    assert "个人资料" in client.get("/profile").get_data(as_text=True)


def test_api_token_is_shown_once_and_stored_hashed(client):
    user = make_user()
    login_as(client, user)
    page = client.post("/profile/tokens", data={"name": "ERP"}).get_data(as_text=True)
    assert "tuan_" in page
    token_text = page.split('data-testid="new-token">')[1].split("<")[0]
    from accounts.models import ApiToken

    stored = db.session.execute(db.select(ApiToken)).scalar_one()
    assert stored.token_hash != token_text and token_text not in stored.token_hash
    fresh = client.application.test_client()
    me = fresh.get("/api/v1/me", headers={"Authorization": f"Bearer {token_text}"})
    assert me.status_code == 200 and me.json["email"] == user.email
    assert "tuan_" not in client.get("/profile/tokens").get_data(as_text=True).replace(stored.prefix, "")


def test_a_revoked_token_no_longer_works(client):
    user = make_user()
    headers = token_headers(user)
    token_id = client.get("/api/v1/me/tokens", headers=headers).json[0]["id"]
    assert client.delete(f"/api/v1/me/tokens/{token_id}", headers=headers).status_code == 204
    response = client.get("/api/v1/me", headers=headers)
    assert response.status_code == 401
    assert response.json["error"]["code"] == "unauthorized"


def test_api_validation_errors_name_the_fields(client):
    headers = token_headers(make_user())
    response = client.patch("/api/v1/me", json={"locale": "klingon"}, headers=headers)
    assert response.status_code == 422
    assert "locale" in response.json["error"]["fields"]


def test_roles_show_on_the_profile(client):
    user = make_user(roles=(Role.SHOPKEEPER,))
    login_as(client, user)
    assert client.get("/api/v1/me").json["roles"] == ["shopkeeper"]


def test_password_change_needs_the_current_one(client):
    user = make_user()
    login_as(client, user)
    bad = client.post("/profile/password", data={"current_password": "wrong one", "password": "new password"})
    assert bad.status_code == 422
    good = client.post("/profile/password", data={"current_password": PASSWORD, "password": "new password"})
    assert good.status_code == 302


def test_a_token_created_through_the_api_is_returned_once(client):
    headers = token_headers(make_user())
    response = client.post("/api/v1/me/tokens", json={"name": "ERP"}, headers=headers)
    assert response.status_code == 201
    assert response.json["token"].startswith("tuan_") and response.json["name"] == "ERP"
    assert "token" not in client.get("/api/v1/me/tokens", headers=headers).json[0]


def test_the_language_follows_the_users_choice_then_the_browser(client):
    chinese_browser = {"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.5"}
    assert "登录" in client.get("/login", headers=chinese_browser).get_data(as_text=True)
    assert "Log in" in client.get("/login", headers={"Accept-Language": "en-GB"}).get_data(as_text=True)
    user = make_user(locale="en")
    login_as(client, user)
    assert "Profile" in client.get("/profile", headers=chinese_browser).get_data(as_text=True)
