"""In-app notifications: told once per key however often the step runs, in the reader's own language,
counted by the bell in the header and read on the notifications page."""

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from core import notify
from core.extensions import db
from core.mail import OutboxEmail
from core.notify import Notification
from orders.models import Order
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


def _kinds_of(user) -> list[str]:
    db.session.expire_all()
    return sorted(db.session.execute(sa.select(Notification.kind).where(Notification.user_id == user.id)).scalars())


def test_each_fulfilment_step_tells_each_person_once_even_when_run_twice(client):
    from tests.test_fulfilment import closed_world

    world = closed_world()
    ana, bo, cy = world["members"]
    owner = world["first"].community.owner
    login_as(client, world["staff"])
    url = f"/catalog/purchase-orders/{world['po'].id}"
    for step in ("confirm", "confirm", "ship", "ship"):
        client.post(f"{url}/{step}")
    client.post("/logout")
    assert _kinds_of(owner) == ["po_confirmed", "po_shipped"]
    assert _kinds_of(ana) == ["po_shipped"] and _kinds_of(cy) == ["po_shipped"]
    base = f"/c/{world['first'].community.slug}/group-buys/{world['first'].id}"
    login_as(client, owner)
    for step in ("receive", "receive", "ready", "ready"):
        client.post(f"{base}/{step}")
    order_id = db.session.execute(sa.select(Order.id).where(Order.user_id == ana.id)).scalar_one()
    for _ in range(2):
        client.post(f"{base}/orders/{order_id}/picked-up")
    assert _kinds_of(ana) == ["order_picked_up", "order_ready", "po_shipped"]
    assert _kinds_of(bo) == ["order_ready", "po_shipped"]
    assert _kinds_of(cy) == ["po_shipped"]  # the other community has not opened its pickup point
    emails = db.session.execute(sa.select(OutboxEmail.subject).where(OutboxEmail.recipient == ana.email)).scalars()
    fulfilment_emails = [subject for subject in emails if not subject.startswith("It's on")]
    assert len(fulfilment_emails) == 3
    client.post("/logout")
    login_as(client, ana)
    assert 'data-testid="bell-count">3<' in client.get("/").get_data(as_text=True)
    page = client.get("/notifications").get_data(as_text=True)
    assert "You picked up “Lychees from Hainan”. Thank you!" in page
    assert page.index("You picked up") < page.index("is ready for pickup")  # newest first


def test_fulfilment_notifications_read_in_chinese_for_a_chinese_reader(client):
    from tests.test_fulfilment import closed_world

    world = closed_world()
    ana = world["members"][0]
    ana.locale = ZH
    db.session.commit()
    login_as(client, world["staff"])
    url = f"/catalog/purchase-orders/{world['po'].id}"
    client.post(f"{url}/confirm")
    client.post(f"{url}/ship")
    client.post("/logout")
    page = login_as(client, ana).get("/notifications").get_data(as_text=True)
    assert '<html lang="zh-Hans">' in page and "Lychees from Hainan" in page


def test_notifying_many_at_once_tells_each_user_once_however_often_it_runs(app):
    users = [make_user() for _ in range(3)]
    told = notify.notify_many([u.id for u in users[:2]], "test_shipped", key="many-1", link="/c/x")
    assert sorted(told) == sorted(u.id for u in users[:2])
    again = notify.notify_many([u.id for u in users], "test_shipped", key="many-1", link="/c/x")
    db.session.commit()
    assert again == [users[2].id]
    assert count(Notification, Notification.key == "many-1") == 3
    assert count(OutboxEmail) == 0
