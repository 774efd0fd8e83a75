"""Forms for the review pages. The services check the same rules again (for the API)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, MultipleFileField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from referral.models import Approval
from referral.reviews import MAX_TEXT


class ReviewForm(FlaskForm):
    rating = RadioField(_l("Stars"), choices=[(n, str(n)) for n in range(1, 6)], coerce=int,
                        validators=[InputRequired(_l("Choose 1 to 5 stars."))])
    text = TextAreaField(_l("Your review"), validators=[Length(max=MAX_TEXT)])
    photos = MultipleFileField(_l("Photos (up to 6)"))


class ReasonForm(FlaskForm):
    reason = StringField(_l("Reason"), validators=[DataRequired(), Length(max=300)])


class CampaignForm(FlaskForm):
    name = StringField(_l("Campaign name"), validators=[DataRequired(), Length(max=120)])
    reward = StringField(_l("Reward in store credit (e.g. 5.00)"), validators=[DataRequired()])
    min_text_length = IntegerField(_l("Minimum review length (characters)"), default=0,
                                   validators=[Optional(), NumberRange(min=0, max=2000)])
    photo_required = BooleanField(_l("A photo is required"))
    approval = SelectField(_l("Approval"), choices=[(Approval.SHOPKEEPER.value, _l("I approve each review")),
                                                    (Approval.AUTOMATIC.value, _l("Automatic"))])
