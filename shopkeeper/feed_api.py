"""JSON: the feed. Access exactly as on the pages: anything in a community the caller is not a member of
is a 404, even when addressed by id."""

from flask_login import current_user
from flask_smorest import Blueprint

from core.auth import login_required
from shopkeeper import feed
from shopkeeper.access import get_community
from shopkeeper.social_schemas import (
    CommentIn,
    CommentOut,
    PinIn,
    PostIn,
    PostOut,
    PostPatchIn,
    ReactionIn,
    ReactionOut,
)

blp = Blueprint("feed_api", __name__, url_prefix="/api/v1", description="Community feed")


@blp.get("/communities/<slug>/posts")
@login_required
@blp.response(200, PostOut(many=True))
@blp.paginate(page_size=feed.FEED_PAGE_SIZE)
def list_posts(slug: str, pagination_parameters):
    """The feed: pinned posts first, then newest first."""
    result = feed.feed_page(current_user, get_community(slug), page=pagination_parameters.page,
                            per_page=pagination_parameters.page_size)
    pagination_parameters.item_count = result.page.total
    return result.entries


@blp.post("/communities/<slug>/posts")
@login_required
@blp.arguments(PostIn)
@blp.response(201, PostOut)
def create_post(data, slug: str):
    """Publish a post (the community's shopkeepers only; photos are added on the page)."""
    return feed.describe(current_user, feed.create_post(current_user, get_community(slug), data["body"]))


@blp.get("/posts/<int:post_id>")
@login_required
@blp.response(200, PostOut)
def get_post(post_id: int):
    return feed.describe(current_user, feed.visible_post(current_user, post_id)[0])


@blp.patch("/posts/<int:post_id>")
@login_required
@blp.arguments(PostPatchIn)
@blp.response(200, PostOut)
def update_post(changes, post_id: int):
    """Change the text and/or pin the post (the community's shopkeepers only)."""
    return feed.describe(current_user, feed.update_post(current_user, post_id, **changes))


@blp.delete("/posts/<int:post_id>")
@login_required
@blp.response(204)
def delete_post(post_id: int):
    feed.delete_post(current_user, post_id)


@blp.post("/posts/<int:post_id>/pin")
@login_required
@blp.arguments(PinIn)
@blp.response(200, PostOut)
def pin_post(data, post_id: int):
    """Pin a post to the top of the feed; ``{"pinned": false}`` unpins it."""
    return feed.describe(current_user, feed.update_post(current_user, post_id, pinned=data["pinned"]))


@blp.get("/posts/<int:post_id>/comments")
@login_required
@blp.response(200, CommentOut(many=True))
@blp.paginate(page_size=50)
def list_comments(post_id: int, pagination_parameters):
    """A post's comments, oldest first."""
    result = feed.list_comments(current_user, post_id, page=pagination_parameters.page,
                                per_page=pagination_parameters.page_size)
    pagination_parameters.item_count = result.total
    return result.items


@blp.post("/posts/<int:post_id>/comments")
@login_required
@blp.arguments(CommentIn)
@blp.response(201, CommentOut)
def add_comment(data, post_id: int):
    return feed.add_comment(current_user, post_id, data["body"])


@blp.delete("/comments/<int:comment_id>")
@login_required
@blp.response(204)
def delete_comment(comment_id: int):
    """Delete your own comment (or, as the shopkeeper, any comment in your community)."""
    feed.delete_comment(current_user, comment_id)


@blp.post("/posts/<int:post_id>/reactions")
@login_required
@blp.arguments(ReactionIn)
@blp.response(200, ReactionOut)
def react(data, post_id: int):
    """Toggle a reaction: sending the same kind again takes it back."""
    return feed.toggle_reaction(current_user, post_id, data["kind"])
