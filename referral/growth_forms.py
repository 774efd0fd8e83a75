"""Forms for the growth pages: values are only shaped here (major units into minor, local times into
aware ones); ``referral.draws`` and ``referral.program`` decide what is allowed."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateTimeLocalField, IntegerField, SelectField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from launches.forms import LOCAL, aware
from referral.draws import MAX_WINNERS
from referral.models import Eligibility
from referral.program import MAX_CAP, MAX_HOLD_HOURS
from shopkeeper.forms import TEXT
from supplier.forms import PriceField

ELIGIBILITY = [(Eligibility.MEMBERS.value, _l("Every member")),
               (Eligibility.REVIEWED_SINCE.value, _l("Members with an approved review since a date")),
               (Eligibility.JOINED_BEFORE.value, _l("Members who joined before a date")),
               (Eligibility.PLEDGED.value, _l("Members who pledged to a group buy"))]


class DrawForm(FlaskForm):
    title = StringField(_l("Title"), filters=TEXT, validators=[DataRequired(), Length(max=120)])
    prize_credit = PriceField(_l("Prize: store credit per winner"), validators=[Optional()])
    prize_item = StringField(_l("…or prize: an item"), filters=TEXT, validators=[Length(max=200)])
    eligibility = SelectField(_l("Who can win"), choices=ELIGIBILITY, default=Eligibility.MEMBERS.value)
    since = DateTimeLocalField(_l("Approved review since"), format=LOCAL, validators=[Optional()])
    before = DateTimeLocalField(_l("Joined before"), format=LOCAL, validators=[Optional()])
    group_buy_id = SelectField(_l("Group buy"), coerce=int, validate_choice=False)
    winners = IntegerField(_l("Winners"), default=1,
                           validators=[InputRequired(), NumberRange(min=1, max=MAX_WINNERS)])
    draw_at = DateTimeLocalField(_l("Draw at"), format=LOCAL, validators=[InputRequired()])

    def __init__(self, *args, currency: str, group_buys=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.currency = currency
        self.group_buy_id.choices = [(0, "—")] + [(gb.id, gb.title) for gb in group_buys]

    def values(self, timezone: str) -> dict:
        """As ``draws.create_draw`` takes them: credit in minor units, times aware in the community's zone."""
        return {"title": self.title.data, "prize_credit": self.prize_credit.minor_units or None,
                "prize_item": self.prize_item.data or "", "eligibility": self.eligibility.data,
                "since": aware(self.since.data, timezone), "before": aware(self.before.data, timezone),
                "group_buy_id": self.group_buy_id.data or None, "winners": self.winners.data,
                "draw_at": aware(self.draw_at.data, timezone)}


class ProgramForm(FlaskForm):
    inviter_reward = PriceField(_l("Reward for the member who invites"), validators=[DataRequired()])
    friend_reward = PriceField(_l("Reward for the friend"), validators=[DataRequired()])
    monthly_cap = IntegerField(_l("Most rewarded friends per member per month"), default=10,
                               validators=[InputRequired(), NumberRange(min=0, max=MAX_CAP)])
    hold_hours = IntegerField(_l("Hours a suspicious referral waits for you before it is paid"), default=72,
                              validators=[InputRequired(), NumberRange(min=1, max=MAX_HOLD_HOURS)])
    active = BooleanField(_l("Invite rewards are on"), default=True)

    def __init__(self, *args, currency: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.currency = currency

    def show(self, program) -> ProgramForm:
        """Fill a GET form with the stored program (rewards back in major units)."""
        if program is not None:
            self.inviter_reward.set_minor_units(program.inviter_reward, self.currency)
            self.friend_reward.set_minor_units(program.friend_reward, self.currency)
            self.monthly_cap.data, self.hold_hours.data = program.monthly_cap, program.hold_hours
            self.active.data = program.active
        return self

    def values(self) -> dict:
        return {"inviter_reward": self.inviter_reward.minor_units, "friend_reward": self.friend_reward.minor_units,
                "monthly_cap": self.monthly_cap.data, "hold_hours": self.hold_hours.data,
                "active": self.active.data}
