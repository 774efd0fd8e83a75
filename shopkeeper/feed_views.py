"""Pages: the community feed (the community's home page), posts, comments, reactions."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from core.auth import login_required
from core.errors import DomainError
from core.forms import form_error, invalid_form
from shopkeeper import feed
from shopkeeper.access import get_community, is_shopkeeper
from shopkeeper.models import ReactionKind
from shopkeeper.panel import community_panel
from shopkeeper.social_forms import CommentForm, EditPostForm, PostForm

bp = Blueprint("feed", __name__)

#: the reaction kinds as a URL converter: any other word is a 404
KINDS = f"any({', '.join(kind.value for kind in ReactionKind)})"


def _page_number() -> int:
    return request.args.get("page", 1, type=int)


def _feed_context(community, page: int = 1) -> dict:
    result = feed.feed_page(current_user, community, page=page)
    return {"community": community, "feed": result,
            "panel": community_panel(current_user, community, result.membership)}


def _post_context(community, post_id: int) -> dict:
    return {"community": community, "entry": feed.post_detail(current_user, post_id, community),
            "can_manage": is_shopkeeper(current_user, community)}


@bp.get("/c/<slug>")
@login_required
def community(slug: str):
    community = get_community(slug)
    return render_template("shopkeeper/feed/community.html", form=PostForm(formdata=None),
                           **_feed_context(community, _page_number()))


@bp.post("/c/<slug>/posts")
@login_required
def create_post(slug: str):
    community = get_community(slug)
    form = PostForm()
    if not form.validate_on_submit():
        return invalid_form("shopkeeper/feed/community.html", form, **_feed_context(community))
    try:
        post = feed.create_post(current_user, community, form.body.data, form.images.data or [])
    except DomainError as error:
        return form_error(form, error, "shopkeeper/feed/community.html", **_feed_context(community))
    flash(_("Your post is live."), "success")
    return redirect(url_for("feed.community", slug=slug, _anchor=f"post-{post.id}"))


@bp.get("/c/<slug>/posts/<int:post_id>")
@login_required
def post(slug: str, post_id: int):
    community = get_community(slug)
    return render_template("shopkeeper/feed/post.html", form=CommentForm(formdata=None),
                           **_post_context(community, post_id))


@bp.post("/c/<slug>/posts/<int:post_id>/comments")
@login_required
def comment(slug: str, post_id: int):
    community = get_community(slug)
    form = CommentForm()
    if not form.validate_on_submit():
        return invalid_form("shopkeeper/feed/post.html", form, **_post_context(community, post_id))
    try:
        comment = feed.add_comment(current_user, post_id, form.body.data, community)
    except DomainError as error:
        return form_error(form, error, "shopkeeper/feed/post.html", **_post_context(community, post_id))
    return redirect(url_for("feed.post", slug=slug, post_id=post_id, _anchor=f"comment-{comment.id}"))


@bp.post("/c/<slug>/comments/<int:comment_id>/delete")
@login_required
def delete_comment(slug: str, comment_id: int):
    post = feed.delete_comment(current_user, comment_id, get_community(slug))
    flash(_("The comment is deleted."), "info")
    return redirect(url_for("feed.post", slug=slug, post_id=post.id))


@bp.post(f"/c/<slug>/posts/<int:post_id>/reactions/<{KINDS}:kind>")
@login_required
def react(slug: str, post_id: int, kind: str):
    feed.toggle_reaction(current_user, post_id, kind, get_community(slug))
    if request.args.get("back") == "feed":
        return redirect(url_for("feed.community", slug=slug, _anchor=f"post-{post_id}"))
    return redirect(url_for("feed.post", slug=slug, post_id=post_id))


@bp.route("/c/<slug>/posts/<int:post_id>/edit", methods=["GET", "POST"])
@login_required
def edit_post(slug: str, post_id: int):
    community = get_community(slug)
    post = feed.managed_post(current_user, post_id, community)
    if request.method == "GET":
        return render_template("shopkeeper/feed/edit.html", form=EditPostForm(obj=post), community=community,
                               post=post)
    form = EditPostForm()
    if not form.validate_on_submit():
        return invalid_form("shopkeeper/feed/edit.html", form, community=community, post=post)
    try:
        feed.update_post(current_user, post_id, body=form.body.data, community=community)
    except DomainError as error:
        return form_error(form, error, "shopkeeper/feed/edit.html", community=community, post=post)
    flash(_("Your post is updated."), "success")
    return redirect(url_for("feed.post", slug=slug, post_id=post_id))


@bp.post("/c/<slug>/posts/<int:post_id>/pin", defaults={"pinned": True})
@bp.post("/c/<slug>/posts/<int:post_id>/unpin", defaults={"pinned": False}, endpoint="unpin")
@login_required
def pin(slug: str, post_id: int, pinned: bool):
    feed.update_post(current_user, post_id, pinned=pinned, community=get_community(slug))
    flash(_("The post is pinned to the top.") if pinned else _("The post is unpinned."), "info")
    return redirect(url_for("feed.community", slug=slug))


@bp.post("/c/<slug>/posts/<int:post_id>/delete")
@login_required
def delete_post(slug: str, post_id: int):
    feed.delete_post(current_user, post_id, get_community(slug))
    flash(_("The post is deleted."), "info")
    return redirect(url_for("feed.community", slug=slug))
