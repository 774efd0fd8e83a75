"""The community feed: the shopkeeper's posts, members' comments and reactions, pinning.

Only members of a community see its feed; everyone else gets a 404 for anything in it, and a post
(or comment) addressed through a community it does not belong to is a 404 as well. Members read,
comment and react; the community's shopkeepers write, edit, pin and delete posts."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_sqlalchemy.pagination import Pagination
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload
from werkzeug.datastructures import FileStorage

from accounts.models import User
from core.auth import require
from core.errors import DomainError, NotFound
from core.extensions import db
from core.uploads import delete_after_commit, save_image
from shopkeeper.access import require_member, require_shopkeeper
from shopkeeper.models import Comment, Community, Membership, MembershipRole, Post, PostImage, Reaction, ReactionKind
from shopkeeper.social import check_body, get_by_id, paginate

FEED_PAGE_SIZE = 20
#: comments shown under each post on the feed; the post's own page shows them all
LATEST_COMMENTS = 3
MAX_POST_LENGTH = 5000
MAX_COMMENT_LENGTH = 2000
MAX_IMAGES = 9


@dataclass
class FeedEntry:
    """A post as a reader sees it: with its counts, the reader's own reactions and some comments."""

    post: Post
    comment_count: int = 0
    reaction_counts: dict[ReactionKind, int] = field(default_factory=dict)
    my_reactions: frozenset[ReactionKind] = frozenset()
    comments: list[Comment] = field(default_factory=list)  #: oldest first

    def count(self, kind: ReactionKind) -> int:
        return self.reaction_counts.get(kind, 0)


@dataclass
class FeedPage:
    membership: Membership  #: the reader's
    page: Pagination
    entries: list[FeedEntry]


@dataclass
class ReactionResult:
    kind: ReactionKind
    reacted: bool  #: True when the reader now has this reaction on the post
    reaction_counts: dict[ReactionKind, int]


def feed_page(user: User, community: Community, page: int = 1, per_page: int = FEED_PAGE_SIZE) -> FeedPage:
    """Pinned posts first, then newest first, each with its counts and latest comments, in a fixed number
    of queries however many posts the page holds. Raises ``not_found`` for non-members."""
    membership = require_member(user, community)
    query = (sa.select(Post).where(Post.community_id == community.id)
             .order_by(Post.pinned.desc(), Post.created_at.desc(), Post.id.desc())
             .options(selectinload(Post.author), selectinload(Post.images)))
    result = paginate(query, page, per_page)
    return FeedPage(membership, result, _entries(user, result.items, latest=LATEST_COMMENTS))


def visible_post(user: User, post_id: int, community: Community | None = None) -> tuple[Post, Membership]:
    """The post and the caller's membership of its community. Raises ``not_found`` when the post does not
    exist, is not in ``community`` (when given) or the caller is not a member of its community."""
    post = get_by_id(Post, post_id)
    if post is None or (community is not None and post.community_id != community.id):
        raise NotFound()
    return post, require_member(user, community or db.session.get(Community, post.community_id))


def managed_post(user: User, post_id: int, community: Community | None = None) -> Post:
    """A post the caller may change. Raises ``not_found`` and ``forbidden`` (not a shopkeeper here)."""
    post, membership = visible_post(user, post_id, community)
    require(membership.role == MembershipRole.SHOPKEEPER, _l("Only the shopkeeper can change posts."))
    return post


def post_detail(user: User, post_id: int, community: Community | None = None) -> FeedEntry:
    """A post with all its comments. Raises ``not_found`` as :func:`visible_post` does."""
    post, _membership = visible_post(user, post_id, community)
    return _entries(user, [post], latest=None)[0]


def describe(user: User, post: Post) -> FeedEntry:
    """A post the caller may already see, as the feed shows it (counts and latest comments)."""
    return _entries(user, [post], latest=LATEST_COMMENTS)[0]


def create_post(user: User, community: Community, body: str, images: Iterable[FileStorage] = ()) -> Post:
    """A new post by one of the community's shopkeepers, with up to nine images.

    Nothing is written unless everything is acceptable: the body first, then every image. Raises
    ``not_found`` (outsiders), ``forbidden`` (members), ``required``/``too_long``/``bad_text`` (body),
    ``too_many_images`` and ``bad_image`` (images)."""
    require_shopkeeper(user, community)
    body = check_body(body, max_length=MAX_POST_LENGTH, required=_l("Write something to post."))
    files = [file for file in images if file and file.filename]
    if len(files) > MAX_IMAGES:
        raise DomainError("too_many_images", _l("Attach at most %(n)s images.", n=MAX_IMAGES), field="images")
    post = Post(community_id=community.id, author_id=user.id, body=body)
    post.images = [PostImage(filename=name, position=position)
                   for position, name in enumerate(_save_images(files))]
    db.session.add(post)
    db.session.flush()
    return post


def update_post(user: User, post_id: int, *, body: str | None = None, pinned: bool | None = None,
                community: Community | None = None) -> Post:
    """Change a post's text and/or pin it (pinned posts lead the feed); what is not given stays.
    Raises ``not_found``, ``forbidden`` (not a shopkeeper here) and the body's ``required``,
    ``too_long``, ``bad_text``."""
    post = managed_post(user, post_id, community)
    if body is not None:
        post.body = check_body(body, max_length=MAX_POST_LENGTH, required=_l("Write something to post."))
    if pinned is not None:
        post.pinned = bool(pinned)
    db.session.flush()
    return post


def delete_post(user: User, post_id: int, community: Community | None = None) -> None:
    """Remove a post with its comments, reactions and images (the image files go once the deletion is
    committed). Raises ``not_found``, ``forbidden``."""
    post = managed_post(user, post_id, community)
    for image in post.images:
        delete_after_commit(image.filename)
    db.session.execute(sa.delete(Reaction).where(Reaction.post_id == post.id))
    db.session.execute(sa.delete(Comment).where(Comment.post_id == post.id))
    db.session.delete(post)
    db.session.flush()


def add_comment(user: User, post_id: int, body: str, community: Community | None = None) -> Comment:
    """A member's comment on a post. Raises ``not_found`` and ``required``/``too_long``/``bad_text``."""
    post, _membership = visible_post(user, post_id, community)
    comment = Comment(post_id=post.id, author_id=user.id,
                      body=check_body(body, max_length=MAX_COMMENT_LENGTH, required=_l("Write a comment first.")))
    db.session.add(comment)
    db.session.flush()
    return comment


def list_comments(user: User, post_id: int, page: int = 1, per_page: int = 50) -> Pagination:
    """A post's comments, oldest first, with their authors. Raises ``not_found``."""
    post, _membership = visible_post(user, post_id)
    query = (sa.select(Comment).where(Comment.post_id == post.id).order_by(Comment.id)
             .options(selectinload(Comment.author)))
    return paginate(query, page, per_page)


def delete_comment(user: User, comment_id: int, community: Community | None = None) -> Post:
    """Delete a comment: its author may, and so may the community's shopkeepers. Returns the post it was
    on. Raises ``not_found`` (no such comment here) and ``forbidden`` (someone else's comment)."""
    comment = get_by_id(Comment, comment_id)
    if comment is None:
        raise NotFound()
    post, membership = visible_post(user, comment.post_id, community)
    require(comment.author_id == user.id or membership.role == MembershipRole.SHOPKEEPER,
            _l("You can delete only your own comments."))
    db.session.delete(comment)
    db.session.flush()
    return post


def toggle_reaction(user: User, post_id: int, kind: ReactionKind | str,
                    community: Community | None = None) -> ReactionResult:
    """React to a post, or take the reaction back when it is already there. A double click racing
    itself ends with the reaction present (the unique key refuses the second row). Raises ``not_found``
    and ``bad_reaction``."""
    post, _membership = visible_post(user, post_id, community)
    try:
        kind = ReactionKind(kind)
    except ValueError:
        raise DomainError("bad_reaction", _l("Choose like, love or want."), field="kind") from None
    existing = db.session.execute(sa.select(Reaction).where(
        Reaction.post_id == post.id, Reaction.user_id == user.id, Reaction.kind == kind)).scalar_one_or_none()
    if existing is not None:
        db.session.delete(existing)
        db.session.flush()
        reacted = False
    else:
        reacted = True
        try:
            with db.session.begin_nested():
                db.session.add(Reaction(post_id=post.id, user_id=user.id, kind=kind))
        except IntegrityError:
            pass  # the same reaction landed a moment ago: the reader has it, as they asked
    return ReactionResult(kind, reacted, _reaction_counts([post.id]).get(post.id, {}))


def _save_images(files: list[FileStorage]) -> list[str]:
    """Store every image, or none: when one is refused, the ones already written are removed."""
    saved: list[str] = []
    try:
        for file in files:
            saved.append(save_image(file, field="images"))
    except DomainError:
        folder = Path(current_app.config["UPLOAD_FOLDER"])
        for name in saved:
            (folder / name).unlink(missing_ok=True)
        raise
    return saved


def _reaction_counts(post_ids: Sequence[int]) -> dict[int, dict[ReactionKind, int]]:
    counts: dict[int, dict[ReactionKind, int]] = defaultdict(dict)
    rows = db.session.execute(
        sa.select(Reaction.post_id, Reaction.kind, sa.func.count()).where(Reaction.post_id.in_(post_ids))
        .group_by(Reaction.post_id, Reaction.kind))
    for post_id, kind, count in rows:
        counts[post_id][kind] = count
    return counts


def _entries(user: User, posts: Sequence[Post], *, latest: int | None) -> list[FeedEntry]:
    """Counts, the reader's reactions and comments for ``posts``: four queries, whatever their number."""
    ids = [post.id for post in posts]
    if not ids:
        return []
    comment_counts = dict(db.session.execute(
        sa.select(Comment.post_id, sa.func.count()).where(Comment.post_id.in_(ids)).group_by(Comment.post_id)
    ).all())
    reaction_counts = _reaction_counts(ids)
    mine: dict[int, set[ReactionKind]] = defaultdict(set)
    for post_id, kind in db.session.execute(
            sa.select(Reaction.post_id, Reaction.kind).where(Reaction.post_id.in_(ids), Reaction.user_id == user.id)):
        mine[post_id].add(kind)
    comments: dict[int, list[Comment]] = defaultdict(list)
    for comment in _comments_of(ids, latest):
        comments[comment.post_id].append(comment)
    return [FeedEntry(post, comment_counts.get(post.id, 0), reaction_counts.get(post.id, {}),
                      frozenset(mine[post.id]), comments[post.id]) for post in posts]


def _comments_of(post_ids: Sequence[int], latest: int | None) -> Sequence[Comment]:
    """All comments of the posts, or only the ``latest`` few of each (a window function: one query)."""
    query = sa.select(Comment).options(selectinload(Comment.author)).order_by(Comment.id)
    if latest is None:
        return db.session.execute(query.where(Comment.post_id.in_(post_ids))).scalars().all()
    ranked = (sa.select(Comment.id, sa.func.row_number().over(partition_by=Comment.post_id,
                                                              order_by=Comment.id.desc()).label("rank"))
              .where(Comment.post_id.in_(post_ids)).subquery())
    query = query.join(ranked, ranked.c.id == Comment.id).where(ranked.c.rank <= latest)
    return db.session.execute(query).scalars().all()
