"""Forms for the feed and the messages. The services check the same rules again (for the API)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import MultipleFileField, TextAreaField
from wtforms.validators import DataRequired, Length

from shopkeeper.feed import MAX_COMMENT_LENGTH, MAX_POST_LENGTH
from shopkeeper.messaging import MAX_MESSAGE_LENGTH


class PostForm(FlaskForm):
    body = TextAreaField(_l("Write to your community"), validators=[DataRequired(), Length(max=MAX_POST_LENGTH)])
    images = MultipleFileField(_l("Photos (up to 9)"))


class EditPostForm(FlaskForm):
    body = TextAreaField(_l("Text"), validators=[DataRequired(), Length(max=MAX_POST_LENGTH)])


class CommentForm(FlaskForm):
    body = TextAreaField(_l("Your comment"), validators=[DataRequired(), Length(max=MAX_COMMENT_LENGTH)])


class MessageForm(FlaskForm):
    body = TextAreaField(_l("Your message"), validators=[DataRequired(), Length(max=MAX_MESSAGE_LENGTH)])
