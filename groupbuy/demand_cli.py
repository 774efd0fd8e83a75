"""``flask groupbuy rebuild-demand``: recompute the committed-demand rollup from the pledges (the repair
tool, e.g. after restoring pledges from a backup). Safe to run twice: the second run rewrites the same
cells. ``--check`` only reports the cells that differ."""

from __future__ import annotations

import click
from flask import Blueprint

from core.extensions import db
from groupbuy import demand


@click.option("--offer", "offer_ids", type=int, multiple=True, help="Only these offers (default: every offer).")
@click.option("--check", is_flag=True, help="Report the cells that differ from the pledges; change nothing.")
def rebuild_demand(offer_ids: tuple[int, ...], check: bool) -> None:
    """Recompute the demand rollup (demand_cells) from the pledges."""
    wanted = list(offer_ids) or None
    stored, computed = demand.stored(wanted), demand.computed(wanted)
    differing = sorted(key for key in stored.keys() | computed.keys() if stored.get(key) != computed.get(key))
    for supplier_id, offer_id, community_id, point_id in differing:
        click.echo(f"offer {offer_id} community {community_id} pickup point {point_id or '-'}: "
                   f"stored {stored.get((supplier_id, offer_id, community_id, point_id))}, "
                   f"pledges say {computed.get((supplier_id, offer_id, community_id, point_id))}")
    click.echo(f"{len(differing)} cells differ from the pledges")
    if check:
        db.session.rollback()
        return
    written = demand.rebuild(wanted)
    db.session.commit()
    click.echo(f"rebuilt: {written} cells")


def register(bp: Blueprint) -> None:
    """Add the command to the ``groupbuy`` CLI group (the blueprint's)."""
    bp.cli.command("rebuild-demand")(rebuild_demand)
