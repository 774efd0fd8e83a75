"""JSON in and out for the feed and the messages. Members appear by id and display name only."""

from flask import url_for
from marshmallow import Schema, fields, validate

from shopkeeper.feed import MAX_COMMENT_LENGTH, MAX_POST_LENGTH
from shopkeeper.messaging import MAX_MESSAGE_LENGTH
from shopkeeper.models import ReactionKind

KINDS = [kind.value for kind in ReactionKind]


class PersonOut(Schema):
    id = fields.Int()
    display_name = fields.Str()


class ImageOut(Schema):
    position = fields.Int()
    url = fields.Function(lambda image: url_for("uploads.serve", filename=image.filename))


def _counts(counts) -> dict:
    return {kind: counts.get(ReactionKind(kind), 0) for kind in KINDS}


class PostIn(Schema):
    body = fields.Str(required=True, validate=validate.Length(min=1, max=MAX_POST_LENGTH))


class PostPatchIn(Schema):
    body = fields.Str(validate=validate.Length(min=1, max=MAX_POST_LENGTH))
    pinned = fields.Bool()


class PinIn(Schema):
    pinned = fields.Bool(load_default=True, metadata={"description": "false unpins"})


class CommentIn(Schema):
    body = fields.Str(required=True, validate=validate.Length(min=1, max=MAX_COMMENT_LENGTH))


class ReactionIn(Schema):
    kind = fields.Str(required=True, validate=validate.OneOf(KINDS))


class CommentOut(Schema):
    id = fields.Int()
    post_id = fields.Int()
    author = fields.Nested(PersonOut)
    body = fields.Str()
    created_at = fields.DateTime()


class PostOut(Schema):
    """A post as the feed shows it (dumped from a ``shopkeeper.feed.FeedEntry``)."""

    id = fields.Int(attribute="post.id")
    author = fields.Nested(PersonOut, attribute="post.author")
    body = fields.Str(attribute="post.body")
    pinned = fields.Bool(attribute="post.pinned")
    images = fields.List(fields.Nested(ImageOut), attribute="post.images")
    created_at = fields.DateTime(attribute="post.created_at")
    updated_at = fields.DateTime(attribute="post.updated_at")
    comment_count = fields.Int()
    reactions = fields.Function(lambda entry: _counts(entry.reaction_counts),
                                metadata={"description": "count per kind: like, love, want"})
    my_reactions = fields.Function(lambda entry: sorted(kind.value for kind in entry.my_reactions))
    latest_comments = fields.List(fields.Nested(CommentOut), attribute="comments")


class ReactionOut(Schema):
    kind = fields.Function(lambda result: result.kind.value)
    reacted = fields.Bool(metadata={"description": "true when you now have this reaction on the post"})
    reactions = fields.Function(lambda result: _counts(result.reaction_counts))


class MessageIn(Schema):
    body = fields.Str(required=True, validate=validate.Length(min=1, max=MAX_MESSAGE_LENGTH))


class MessageOut(Schema):
    id = fields.Int()
    thread_id = fields.Int()
    sender = fields.Nested(PersonOut)
    body = fields.Str()
    created_at = fields.DateTime()
    read_at = fields.DateTime(allow_none=True)


class CommunityRefOut(Schema):
    slug = fields.Str()
    name = fields.Str()


class ThreadOut(Schema):
    """One line of the inbox (dumped from a ``shopkeeper.messaging.InboxEntry``)."""

    id = fields.Int(attribute="thread.id")
    community = fields.Nested(CommunityRefOut, attribute="thread.community")
    role = fields.Function(lambda entry: "shopkeeper" if entry.as_shopkeeper else "member",
                           metadata={"description": "your side of the thread"})
    counterpart = fields.Nested(PersonOut)
    member_id = fields.Int(attribute="thread.member_id")
    unread = fields.Int()
    last_message_at = fields.DateTime(attribute="thread.last_message_at")
    last_message = fields.Nested(MessageOut, allow_none=True)


class UnreadOut(Schema):
    unread = fields.Int()
