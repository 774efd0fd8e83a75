"""JSON out for launches. Built from ``launches.reveals.showing`` — never from the launch's stages — so a
stage not yet revealed is absent from every answer, its id and image names included."""

from __future__ import annotations

from datetime import datetime

from flask import url_for
from marshmallow import Schema, fields

from launches import reveals, services
from launches.models import Launch
from shopkeeper.models import Community


class SpecOut(Schema):
    name = fields.Str()
    value = fields.Str()


class StageOut(Schema):
    id = fields.Int()
    reveal_at = fields.DateTime()
    title = fields.Str()
    body = fields.Str()
    price = fields.Int(allow_none=True, metadata={"description": "minor units, when this stage reveals the price"})
    specs = fields.List(fields.Nested(SpecOut))
    image_urls = fields.List(fields.Str())


class LaunchOut(Schema):
    id = fields.Int()
    title = fields.Str()
    teaser = fields.Str()
    status = fields.Str()
    mode = fields.Str()
    phase = fields.Str(metadata={"description": "upcoming, open or closed"})
    price = fields.Int(metadata={"description": "minor units: the latest revealed price, else the teaser's"})
    currency = fields.Str()
    stock = fields.Int()
    per_member_limit = fields.Int()
    opens_at = fields.DateTime()
    closes_at = fields.DateTime(allow_none=True)
    next_reveal_at = fields.DateTime(allow_none=True, metadata={"description": "the time only, never the content"})
    specs = fields.List(fields.Nested(SpecOut))
    stages = fields.List(fields.Nested(StageOut), metadata={"description": "revealed stages, oldest first"})
    url = fields.Str()


class TimingOut(Schema):
    now = fields.DateTime(metadata={"description": "the server's clock: pages count down by it, not the device's"})
    phase = fields.Str(metadata={"description": "upcoming, open or closed"})
    opens_at = fields.DateTime()
    closes_at = fields.DateTime(allow_none=True)
    next_reveal_at = fields.DateTime(allow_none=True, metadata={"description": "the time only, never the content"})


def _specs(pairs) -> list[dict]:
    return [{"name": name, "value": value} for name, value in pairs]


def launch_view(launch: Launch, community: Community, now: datetime) -> dict:
    """What a member of ``community`` may see of the launch at ``now``."""
    showing = reveals.showing(launch, now)
    stages = [{"id": stage.id, "reveal_at": stage.reveal_at, "title": stage.title, "body": stage.body,
               "price": stage.price, "specs": _specs(reveals.parse_specs(stage.specs)),
               "image_urls": [url_for("launches.image", slug=community.slug, launch_id=launch.id, image_id=image.id)
                              for image in stage.images]} for stage in showing.stages]
    return {"id": launch.id, "title": launch.title, "teaser": launch.teaser, "status": launch.status.value,
            "mode": launch.mode.value, "phase": services.phase(launch, now), "price": showing.price,
            "currency": launch.currency, "stock": launch.stock, "per_member_limit": launch.per_member_limit,
            "opens_at": launch.opens_at, "closes_at": launch.closes_at, "next_reveal_at": showing.next_reveal_at,
            "specs": _specs(showing.specs), "stages": stages,
            "url": url_for("launches.show", slug=community.slug, launch_id=launch.id)}


def timing_view(launch: Launch, now: datetime) -> dict:
    """The launch's moments and the server's clock — times only, so a waiting page can learn that a reveal
    or the opening has come (and reload) without a byte of what it will show."""
    return {"now": now, "phase": services.phase(launch, now), "opens_at": launch.opens_at,
            "closes_at": launch.closes_at, "next_reveal_at": reveals.next_reveal_at(launch, now)}
