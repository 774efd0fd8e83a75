"""The shopkeeper's side of reviews (issue #6): the queue (approve, reject or hide, with a reason) and the
review campaign (start one, end the one in force). Routes on ``referral.views.bp``."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from core.auth import login_required
from core.errors import DomainError
from core.forms import form_error, invalid_form
from referral import campaigns, reviews
from referral.forms import CampaignForm, ReasonForm
from referral.views import bp
from shopkeeper.access import get_community

TEMPLATE = "referral/review_queue.html"


def _queue_context(community, **forms) -> dict:
    pending, approved = campaigns.review_queue(current_user, community)
    return {"community": community, "pending": pending, "approved": approved,
            "campaign": reviews.campaign_in_force(community.id),
            "campaign_form": forms.get("campaign_form") or CampaignForm(formdata=None),
            "reason_form": forms.get("reason_form") or ReasonForm(formdata=None)}


def _back(slug: str):
    return redirect(url_for("referral.review_queue", slug=slug))


@bp.get("/c/<slug>/reviews/manage")
@login_required
def review_queue(slug: str):
    return render_template(TEMPLATE, **_queue_context(get_community(slug)))


@bp.post("/c/<slug>/reviews/<int:review_id>/approve")
@login_required
def approve_review(slug: str, review_id: int):
    get_community(slug)
    reviews.approve(current_user, review_id)
    flash(_("The review is approved."), "success")
    return _back(slug)


def _decide(slug: str, review_id: int, action, done: str):
    community = get_community(slug)
    form = ReasonForm()
    if not form.validate_on_submit():
        context = _queue_context(community, reason_form=form)
        return invalid_form(TEMPLATE, form, **context)
    try:
        action(current_user, review_id, form.reason.data)
    except DomainError as error:
        context = _queue_context(community, reason_form=form)
        return form_error(context.pop("reason_form"), error, TEMPLATE, reason_form=form, **context)
    flash(done, "info")
    return _back(slug)


@bp.post("/c/<slug>/reviews/<int:review_id>/reject")
@login_required
def reject_review(slug: str, review_id: int):
    return _decide(slug, review_id, reviews.reject, _("The review is rejected."))


@bp.post("/c/<slug>/reviews/<int:review_id>/hide")
@login_required
def hide_review(slug: str, review_id: int):
    return _decide(slug, review_id, reviews.hide, _("The review is hidden."))


@bp.post("/c/<slug>/reviews/campaigns")
@login_required
def start_campaign(slug: str):
    community = get_community(slug)
    form = CampaignForm()
    if not form.validate_on_submit():
        context = _queue_context(community, campaign_form=form)
        return invalid_form(TEMPLATE, form, **context)
    try:
        campaigns.start_campaign(current_user, community, name=form.name.data, reward=form.reward.data,
                                 min_text_length=form.min_text_length.data or 0,
                                 photo_required=form.photo_required.data, approval=form.approval.data)
    except DomainError as error:
        context = _queue_context(community, campaign_form=form)
        return form_error(context.pop("campaign_form"), error, TEMPLATE, campaign_form=form, **context)
    flash(_("The campaign is running."), "success")
    return _back(slug)


@bp.post("/c/<slug>/reviews/campaigns/<int:campaign_id>/end")
@login_required
def end_campaign(slug: str, campaign_id: int):
    get_community(slug)
    campaigns.end_campaign(current_user, campaign_id)
    flash(_("The campaign has ended."), "info")
    return _back(slug)
