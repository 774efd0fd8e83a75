"""JSON for raffles: entering the draw, and the draw as anyone in the launch's communities may audit it —
the commitment before the draw; the seed, the entries in entry order and the draw order after it. Entries
are shown by number only, never by member."""

from __future__ import annotations

from flask_login import current_user
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from core.auth import login_required
from core.extensions import ErrorOut
from launches import raffle, services

blp = Blueprint("raffle_api", __name__, url_prefix="/api/v1", description="Raffle launches: entries and the draw")

_NOT_FOUND = "No such launch for you: not a member of its communities, or a draft."


class EntryOut(Schema):
    id = fields.Int(metadata={"description": "the entry's number: its place in the published entry order"})
    launch_id = fields.Int()
    status = fields.Str(metadata={"description": "entered, won, waiting or lost"})
    draw_rank = fields.Int(allow_none=True, metadata={"description": "1 = drawn first; set by the draw"})
    hold_id = fields.Int(allow_none=True, metadata={"description": "a winner's hold: pay it before it expires"})


class DrawnEntryOut(Schema):
    id = fields.Int()
    draw_rank = fields.Int(allow_none=True)
    status = fields.Str()
    mine = fields.Bool(metadata={"description": "this is the caller's entry"})


class DrawOut(Schema):
    launch_id = fields.Int()
    seed_hash = fields.Str(allow_none=True, metadata={"description": "SHA-256 (hex) of the seed's UTF-8 bytes, "
                                                                     "published when entries open"})
    seed = fields.Str(allow_none=True, metadata={"description": "null until the draw"})
    drawn_at = fields.AwareDateTime(allow_none=True)
    entry_count = fields.Int()
    slots = fields.Int(metadata={"description": "units to win, one per winner"})
    entry_ids = fields.List(fields.Int(), metadata={"description": "after the draw: every entry, in entry order"})
    draw_order = fields.List(fields.Nested(DrawnEntryOut), metadata={"description": "after the draw"})
    procedure = fields.Str(metadata={"description": "how to recompute the draw order"})


PROCEDURE = ("order = entry ids sorted by (sha256((seed + ':' + str(id)).encode('utf-8')).hexdigest(), id); "
             "the first `slots` won; check sha256(seed.encode('utf-8')).hexdigest() == seed_hash")


@blp.post("/launches/<int:launch_id>/entries")
@login_required
@blp.response(201, EntryOut)
@blp.alt_response(404, schema=ErrorOut, description=_NOT_FOUND)
@blp.alt_response(409, schema=ErrorOut, description="``already_entered``, ``not_open``, ``closed``, "
                                                    "``not_raffle`` (a first-come launch).")
def enter(launch_id: int):
    """Enter the draw, once, while entries are open (from ``opens_at`` until ``closes_at``)."""
    return raffle.enter(current_user, launch_id)


@blp.get("/launches/<int:launch_id>/draw")
@login_required
@blp.response(200, DrawOut)
@blp.alt_response(404, schema=ErrorOut, description=_NOT_FOUND)
def get_draw(launch_id: int):
    """The commitment and entry count; after the draw also the seed, the entries and the draw order."""
    launch, _membership = services.visible_launch(current_user, launch_id)
    audit = raffle.audit(launch)
    mine = raffle.my_entry(current_user, launch.id)
    return {"launch_id": launch.id, "seed_hash": audit.seed_hash, "seed": audit.seed, "drawn_at": audit.drawn_at,
            "entry_count": raffle.entry_count(launch.id), "slots": audit.slots, "entry_ids": audit.entry_ids,
            "draw_order": [{"id": e.id, "draw_rank": e.draw_rank, "status": e.status.value,
                            "mine": mine is not None and mine.id == e.id} for e in audit.draw_order],
            "procedure": PROCEDURE}
