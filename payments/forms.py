from flask_wtf import FlaskForm
from wtforms import HiddenField
from wtforms.validators import Length, Optional


class PayForm(FlaskForm):
    """Pay a payment on-session. ``attempt`` names this try, so that the same form sent twice is one try;
    ``payment_method`` is filled by the card form of the gateway's script when the member enters a card."""

    attempt = HiddenField(validators=[Optional(), Length(max=40)])
    payment_method = HiddenField(validators=[Optional(), Length(max=120)])
