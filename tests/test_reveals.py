"""Staged reveals: a stage's content — title, text, price, specs, images — is absent everywhere (page, page
source, API, feed, image route) before its time and present after, with the clock moved, never slept."""

import io
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from werkzeug.datastructures import FileStorage

from accounts.models import User
from core import clock
from core.extensions import db
from core.notify import Notification
from launches import jobs, services
from launches.models import RevealStage
from shopkeeper.models import Post
from tests.catalog_helpers import png_bytes
from tests.factories import add_member, count, login_as, make_community, make_product, make_supplier, token_headers

START = datetime(2026, 5, 1, 8, 0, tzinfo=UTC)
SECRETS = ("Midnight Matcha", "stone-ground in Uji", "Grade: ceremonial")


def _launch_with_secret_stage(community=None):
    """A published launch opening in two days, with a stage revealing tomorrow: secret title, text,
    price (123.45) and specs, and one image."""
    clock.freeze(START)
    community = community or make_community()
    owner = db.session.get(User, community.owner_id)
    variant = make_product(make_supplier()).variants[0]
    launch = services.create_launch(owner, community, variant_id=variant.id, title="Something green",
                                    teaser="Guess what it is", price=9900, stock=20,
                                    opens_at=START + timedelta(days=2))
    image = FileStorage(io.BytesIO(png_bytes()), filename="tin.png", content_type="image/png")
    stage = services.add_stage(owner, launch.id, reveal_at=START + timedelta(days=1), title=SECRETS[0],
                               body=SECRETS[1], price=12345, specs=SECRETS[2], images=[image])
    services.publish(owner, launch.id)
    db.session.commit()
    return launch, stage, community


def _assert_absent(text: str, stage) -> None:
    for secret in (*SECRETS, "123.45", stage.images[0].filename, f"/images/{stage.images[0].id}"):
        assert secret not in text


def test_a_stage_is_absent_from_the_page_and_its_source_before_its_time_and_shown_after(app, client):
    launch, stage, community = _launch_with_secret_stage()
    login_as(client, add_member(community))
    url = f"/c/{community.slug}/launches/{launch.id}"

    before = client.get(url)
    assert before.status_code == 200
    assert "Guess what it is" in before.get_data(as_text=True)
    _assert_absent(before.get_data(as_text=True), stage)

    clock.advance(timedelta(days=1))
    after = client.get(url).get_data(as_text=True)
    assert all(secret in after for secret in ("Midnight Matcha", "stone-ground in Uji", "ceremonial"))
    assert "123.45" in after


def test_the_api_leaves_out_a_stage_before_its_time_and_shows_it_after(app, client):
    launch, stage, community = _launch_with_secret_stage()
    headers = token_headers(add_member(community))

    for path in (f"/api/v1/launches/{launch.id}", f"/api/v1/communities/{community.slug}/launches"):
        before = client.get(path, headers=headers)
        assert before.status_code == 200
        _assert_absent(before.get_data(as_text=True), stage)
    assert client.get(f"/api/v1/launches/{launch.id}", headers=headers).json["price"] == 9900

    clock.advance(timedelta(days=1, seconds=1))
    body = client.get(f"/api/v1/launches/{launch.id}", headers=headers).json
    assert [s["title"] for s in body["stages"]] == ["Midnight Matcha"]
    assert body["price"] == 12345
    assert body["specs"] == [{"name": "Grade", "value": "ceremonial"}]
    assert client.get(body["stages"][0]["image_urls"][0], headers=headers).status_code == 200


def test_a_reveal_image_is_a_404_before_its_stage_is_revealed(app, client):
    launch, stage, community = _launch_with_secret_stage()
    login_as(client, add_member(community))
    url = f"/c/{community.slug}/launches/{launch.id}/images/{stage.images[0].id}"
    assert client.get(url).status_code == 404
    clock.advance(timedelta(days=1))
    response = client.get(url)
    assert response.status_code == 200
    assert response.data == png_bytes()


def test_the_feed_shows_a_reveal_only_once_its_time_has_come_and_only_once(app, client):
    launch, stage, community = _launch_with_secret_stage()
    login_as(client, add_member(community))

    assert jobs.post_due_reveals() == {}
    _assert_absent(client.get(f"/c/{community.slug}").get_data(as_text=True), stage)

    clock.advance(timedelta(days=1))
    assert jobs.post_due_reveals() == {stage.id: "posted"}
    assert jobs.post_due_reveals() == {}
    assert count(Post, Post.community_id == community.id) == 1
    feed = client.get(f"/c/{community.slug}").get_data(as_text=True)
    assert "Midnight Matcha" in feed and "stone-ground in Uji" in feed


def test_the_launch_page_shows_a_reveal_by_the_clock_even_when_the_job_has_not_run(app, client):
    launch, stage, community = _launch_with_secret_stage()
    login_as(client, add_member(community))
    clock.advance(timedelta(days=1))
    assert db.session.get(RevealStage, stage.id).posted_at is None
    assert "Midnight Matcha" in client.get(f"/c/{community.slug}/launches/{launch.id}").get_data(as_text=True)


def test_followers_are_told_of_a_reveal_once_and_others_are_not(app):
    launch, stage, community = _launch_with_secret_stage()
    follower = add_member(community)
    add_member(community)  # a member who does not follow
    services.follow(follower, launch.id)
    db.session.commit()
    clock.advance(timedelta(days=1))
    jobs.post_due_reveals()
    jobs.tell_reveal_followers(stage.id)  # a rerun tells nobody twice
    told = db.session.execute(sa.select(Notification.user_id).where(Notification.kind == "launch_revealed")).scalars()
    assert list(told) == [follower.id]


def test_a_draft_launch_is_never_posted_to_the_feed(app):
    launch, stage, community = _launch_with_secret_stage()
    owner = db.session.get(User, community.owner_id)
    services.cancel(owner, launch.id)
    db.session.commit()
    clock.advance(timedelta(days=1))
    assert jobs.post_due_reveals() == {}
    assert count(Post) == 0


def test_the_timing_a_waiting_page_polls_carries_the_servers_clock_and_times_only(app, client):
    launch, stage, community = _launch_with_secret_stage()
    headers = token_headers(add_member(community))
    path = f"/api/v1/launches/{launch.id}/timing"

    before = client.get(path, headers=headers)
    assert before.status_code == 200
    assert before.json == {"now": START.isoformat(), "phase": "upcoming",
                           "opens_at": (START + timedelta(days=2)).isoformat(), "closes_at": None,
                           "next_reveal_at": (START + timedelta(days=1)).isoformat()}
    _assert_absent(before.get_data(as_text=True), stage)

    clock.advance(timedelta(days=1))
    after = client.get(path, headers=headers).json
    assert (after["now"], after["phase"], after["next_reveal_at"]) == (clock.now().isoformat(), "upcoming", None)
    clock.advance(timedelta(days=1))
    assert client.get(path, headers=headers).json["phase"] == "open"


def test_outsiders_get_no_timing(app, client):
    launch, _stage, _community = _launch_with_secret_stage()
    answer = client.get(f"/api/v1/launches/{launch.id}/timing", headers=token_headers(add_member(make_community())))
    assert answer.status_code == 404


def test_the_launch_page_tells_its_script_the_servers_time_and_what_it_waits_for(app, client):
    launch, _stage, community = _launch_with_secret_stage()
    login_as(client, add_member(community))
    page = client.get(f"/c/{community.slug}/launches/{launch.id}").get_data(as_text=True)
    assert f'data-timing-url="/api/v1/launches/{launch.id}/timing"' in page
    assert f'data-now="{START.isoformat()}"' in page and 'data-phase="upcoming"' in page
    assert f'data-next-reveal-at="{(START + timedelta(days=1)).isoformat()}"' in page
