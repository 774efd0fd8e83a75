"""In-app notifications: told once per key however often the step runs, in the reader's own language,
counted by the bell in the header and read on the notifications page."""

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from core import notify
from core.extensions import db
from core.mail import OutboxEmail
from core.notify import Notification
from tests.factories import count, login_as, make_user

ZH = "zh_Hans_CN"
#: a kind whose message the Chinese catalog already knows, so the test reads a real translation
notify.register("test_shipped", _l("Shipped"))


def test_telling_someone_twice_with_the_same_key_notifies_and_emails_once(app):
    user = make_user()
    assert notify.tell(user, "test_shipped", key="po-shipped-1", link="/c/x") is True
    assert notify.tell(user, "test_shipped", key="po-shipped-1", link="/c/x") is False
    db.session.commit()
    assert count(Notification) == 1
    assert count(OutboxEmail, OutboxEmail.recipient == user.email) == 1


def test_the_same_key_for_another_person_is_another_notification(app):
    first, second = make_user(), make_user()
    for user in (first, second):
        notify.notify(user.id, "test_shipped", key="po-shipped-1")
    db.session.commit()
    assert count(Notification) == 2


def test_an_unregistered_kind_is_refused_before_anything_is_written(app):
    user = make_user()
    try:
        notify.notify(user.id, "no_such_kind", key="k")
    except LookupError:
        pass
    else:
        raise AssertionError("an unregistered kind was accepted")
    assert count(Notification) == 0


def test_the_email_speaks_the_readers_language(app):
    user = make_user(locale=ZH)
    notify.tell(user, "test_shipped", key="k")
    db.session.commit()
    email = db.session.execute(sa.select(OutboxEmail)).scalar_one()
    assert email.body == "已发货" and email.subject == "已发货"


def test_the_bell_counts_unread_notifications_and_the_page_reads_them(client):
    user = make_user()
    for n in range(3):
        notify.notify(user.id, "test_shipped", key=f"k{n}", link="/c/somewhere")
    db.session.commit()
    login_as(client, user)
    home = client.get("/").get_data(as_text=True)
    assert 'data-testid="bell-count">3<' in home
    page = client.get("/notifications").get_data(as_text=True)
    assert page.count('data-testid="notification"') == 3 and 'href="/c/somewhere"' in page
    assert page.count("inbox-line unread") == 3
    assert notify.unread_count(user.id) == 0
    assert 'data-testid="bell-count"' not in client.get("/").get_data(as_text=True)
    again = client.get("/notifications").get_data(as_text=True)
    assert "inbox-line unread" not in again


def test_a_reader_sees_a_notification_in_their_own_language(client):
    user = make_user(locale=ZH)
    notify.notify(user.id, "test_shipped", key="k")
    db.session.commit()
    page = login_as(client, user).get("/notifications").get_data(as_text=True)
    assert "已发货" in page


def test_the_bell_is_one_query(app, client):
    user = make_user()
    notify.notify(user.id, "test_shipped", key="k")
    db.session.commit()
    statements = []

    def record(conn, cursor, statement, *args):
        if "notifications" in statement:
            statements.append(statement)

    login_as(client, user)
    sa.event.listen(db.engine, "before_cursor_execute", record)
    try:
        client.get("/")
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", record)
    assert len(statements) == 1 and "count" in statements[0].lower()


def test_visitors_see_no_bell_and_the_page_wants_a_login(client):
    assert 'data-testid="bell"' not in client.get("/").get_data(as_text=True)
    assert client.get("/notifications").status_code in (302, 401)
