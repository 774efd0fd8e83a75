"""Raffle pages: entering the draw (the button is in ``launches/_raffle.html``, on the launch page) and the
draw's audit page, which anyone in the launch's communities may read: the commitment before the draw; the
seed, the entries, the draw order and how to recompute it after."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from core import clock
from core.auth import login_required
from core.errors import DomainError
from launches import raffle, services
from shopkeeper.access import get_community
from shopkeeper.links import community_home_url
from shopkeeper.validation import ID

bp = Blueprint("raffle", __name__)


@bp.app_context_processor
def _raffle_helpers():
    """For ``launches/_raffle.html``, included by the launch page: the caller's entry, and the count."""
    return {"raffle_entry": raffle.my_entry, "raffle_entering": raffle.is_entering,
            "raffle_upcoming": lambda launch, now: now < clock.as_utc(launch.opens_at)}


@bp.post(f"/c/<slug>/launches/<{ID}:launch_id>/entries")
@login_required
def enter(slug: str, launch_id: int):
    community = get_community(slug)
    try:
        raffle.enter(current_user, launch_id, community)
        flash(_("You're in the draw. Good luck!"), "success")
    except DomainError as error:
        if error.status == 404:
            raise
        flash(str(error.message), "warning")
    return redirect(url_for("launches.show", slug=slug, launch_id=launch_id))


@bp.get(f"/c/<slug>/launches/<{ID}:launch_id>/draw")
@login_required
def audit(slug: str, launch_id: int):
    community = get_community(slug)
    launch, _membership = services.visible_launch(current_user, launch_id, community)
    return render_template("launches/draw.html", community=community, launch=launch, now=clock.now(),
                           audit=raffle.audit(launch), entry_count=raffle.entry_count(launch.id),
                           mine=raffle.my_entry(current_user, launch.id), community_home_url=community_home_url)
