"""The shopkeeper's invite-rewards page: the program's settings, held referrals to approve or reject, and
every referral with its status and reason. On the ``growth`` blueprint."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from core.auth import login_required
from core.errors import DomainError
from core.forms import form_error, invalid_form
from referral import insight as queries
from referral import invites, program
from referral.growth_forms import ProgramForm
from referral.growth_views import bp
from shopkeeper.access import get_community, require_shopkeeper
from shopkeeper.validation import ID

TEMPLATE = "growth/manage.html"


def _context(community) -> dict:
    page = request.args.get("page", 1, type=int)
    return {"community": community, "held": queries.held_referrals(community),
            "page": queries.referral_page(community, page)}


@bp.route("/c/<slug>/invite/manage", methods=["GET", "POST"])
@login_required
def manage_invites(slug: str):
    community = get_community(slug)
    require_shopkeeper(current_user, community)
    form = ProgramForm(currency=community.currency)
    if not form.is_submitted():
        form.show(program.community_program(community))
        return render_template(TEMPLATE, form=form, **_context(community))
    if not form.validate():
        return invalid_form(TEMPLATE, form, **_context(community))
    try:
        program.save_program(current_user, community, **form.values())
    except DomainError as error:
        return form_error(form, error, TEMPLATE, **_context(community))
    flash(_("Invite rewards saved."), "success")
    return redirect(url_for("growth.manage_invites", slug=slug))


@bp.post(f"/c/<slug>/invite/manage/<{ID}:referral_id>/<any(approve, reject):decision>")
@login_required
def decide_referral(slug: str, referral_id: int, decision: str):
    community = get_community(slug)
    require_shopkeeper(current_user, community)
    try:
        (invites.approve if decision == "approve" else invites.reject)(current_user, referral_id, community)
    except DomainError as error:
        if error.status == 404:
            raise
        flash(str(error.message), "warning")
    else:
        flash(_("Referral paid.") if decision == "approve" else _("Referral rejected."), "success")
    return redirect(url_for("growth.manage_invites", slug=slug))
