"""Pages: the shopkeeper's invite links, joining through one, and leaving a community.
Routed by ``shopkeeper.views`` (blueprint ``shopkeeper``)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from core.auth import login_required
from core.errors import DomainError
from core.forms import form_error
from shopkeeper import invites as invite_service
from shopkeeper import services
from shopkeeper.access import get_community, membership_of, require_shopkeeper
from shopkeeper.forms import InviteForm, PickupChoiceForm, show_form
from shopkeeper.invites import InviteRefused, InviteState, invite_state
from shopkeeper.links import community_home_url


def _invites_context(community) -> dict:
    rows = [(invite, invite_state(invite)) for invite in invite_service.list_invites(current_user, community)]
    return {"community": community, "rows": rows, "InviteState": InviteState}


@login_required
def invites(slug: str):
    community = get_community(slug)
    require_shopkeeper(current_user, community)
    form = InviteForm()
    if not form.validate_on_submit():
        return show_form("shopkeeper/invites.html", form, **_invites_context(community))
    expires_at = form.expires_at.data
    if expires_at is not None:  # typed in the community's local time
        expires_at = expires_at.replace(tzinfo=ZoneInfo(community.timezone))
    try:
        invite_service.create_invite(current_user, community, label=form.label.data, expires_at=expires_at,
                                     max_uses=form.max_uses.data)
    except DomainError as error:
        return form_error(form, error, "shopkeeper/invites.html", **_invites_context(community))
    flash(_("A new invite link is ready. Copy it and share it with the people you want to invite."), "success")
    return redirect(url_for("shopkeeper.invites", slug=slug))


@login_required
def revoke_invite(slug: str, invite_id: int):
    community = get_community(slug)
    invite_service.revoke_invite(current_user, invite_id, community=community)
    flash(_("The invite link is withdrawn: nobody can join through it any more."), "info")
    return redirect(url_for("shopkeeper.invites", slug=slug))


def join(token: str):
    """Anyone with the link sees the community; a logged-in visitor confirms with a POST."""
    invite = invite_service.invite_by_token(token)
    community = invite.community
    if membership_of(current_user, community) is not None:
        return redirect(community_home_url(community))
    form = PickupChoiceForm().offer(services.pickup_points(community))
    context = {"community": community, "invite": invite, "token": token}
    refused = invite_service.refusal(invite)
    if refused is not None:
        return render_template("shopkeeper/join.html", form=form, refused=refused, **context), refused.status
    if not current_user.is_authenticated or not form.validate_on_submit():
        return show_form("shopkeeper/join.html", form, refused=None, **context)
    try:
        joined = invite_service.join(current_user, token, pickup_point_id=form.pickup_point_id.data)
    except InviteRefused as error:
        return render_template("shopkeeper/join.html", form=form, refused=error, **context), error.status
    except DomainError as error:
        return form_error(form, error, "shopkeeper/join.html", refused=None, **context)
    if joined.is_new:
        flash(_("Welcome to %(name)s!", name=community.name), "success")
    return redirect(community_home_url(community))


@login_required
def leave(slug: str):
    community = get_community(slug)
    invite_service.leave(current_user, community)
    flash(_("You have left %(name)s.", name=community.name), "info")
    return redirect(url_for("shopkeeper.my_communities"))
