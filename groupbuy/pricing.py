"""Prices as members see them. Pure functions of a group buy, its offer's tiers and a pooled total:
no queries of their own, no clock. The rules are in docs/GROUPBUY.md."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from flask_babel import lazy_gettext as _l

from core.errors import DomainError
from core.money import Money
from groupbuy.models import GroupBuy, MarginKind, Pledge

#: a percentage margin is kept in basis points; 1000 % is far beyond any real margin
MAX_MARGIN_BASIS_POINTS = 100_000
#: a fixed margin fits the price columns with room to spare
MAX_FIXED_MARGIN = 100_000_000


@dataclass(frozen=True)
class TierPrice:
    min_quantity: int
    wholesale: int  #: minor units per unit
    member_price: int  #: minor units per unit, the shopkeeper's margin included


@dataclass(frozen=True)
class Progress:
    """Where a group buy stands at a pooled total: the numbers its page and progress endpoint show."""

    pooled_total: int
    moq: int
    currency: str
    current: TierPrice
    next: TierPrice | None

    @property
    def to_moq(self) -> int:
        """Units still missing before the offer reaches its minimum order (0 once it has)."""
        return max(self.moq - self.pooled_total, 0)

    @property
    def to_next_tier(self) -> int | None:
        return None if self.next is None else self.next.min_quantity - self.pooled_total

    @property
    def moq_percent(self) -> int:
        return min(100, self.pooled_total * 100 // self.moq) if self.moq else 100

    @property
    def next_tier_percent(self) -> int:
        """The pooled total as a share of the next tier's threshold (100 at the top tier)."""
        if self.next is None:
            return 100
        return min(100, self.pooled_total * 100 // self.next.min_quantity)


def tier_price(group_buy: GroupBuy, tier) -> TierPrice:
    return TierPrice(tier.min_quantity, tier.unit_price, group_buy.member_price(tier.unit_price))


def member_price_at(group_buy: GroupBuy, pooled_total: int) -> int:
    """The member unit price everyone pays when the offer's pooled total is ``pooled_total``."""
    return group_buy.member_price(group_buy.offer.price_for(pooled_total))


def member_tiers(group_buy: GroupBuy) -> list[TierPrice]:
    """Every tier of the offer, with this group buy's member price."""
    return [tier_price(group_buy, tier) for tier in group_buy.offer.tiers]


def progress(group_buy: GroupBuy, pooled_total: int) -> Progress:
    offer = group_buy.offer
    upcoming = offer.next_tier(pooled_total)
    return Progress(pooled_total=pooled_total, moq=offer.moq, currency=offer.currency,
                    current=tier_price(group_buy, offer.tier_for(pooled_total)),
                    next=tier_price(group_buy, upcoming) if upcoming is not None else None)


def capped_unit_price(price_now: int, pledge: Pledge) -> int:
    """A pledge never pays more per unit than the lowest price it was shown."""
    return min(price_now, pledge.price_cap)


def final_unit_price(group_buy: GroupBuy, final_total: int, pledge: Pledge) -> int:
    """What the member pays per unit at close: the member price of the tier the final pooled total
    reached, or the pledge's price cap when that is lower."""
    return capped_unit_price(member_price_at(group_buy, final_total), pledge)


def parse_margin(kind: MarginKind | str, text, currency: str) -> tuple[MarginKind, int]:
    """``("fixed", "2.50", "CNY")`` → 250 minor units; ``("percent", "12.5", …)`` → 1250 basis points.
    Raises ``bad_margin`` (field ``margin``) for anything else: negative, too many decimals, not a number."""
    try:
        kind = MarginKind(kind)
        value = Decimal(str(text).strip())
        if not value.is_finite() or value < 0:
            raise ValueError
        if kind == MarginKind.FIXED:
            amount = Money.parse(str(value), currency).amount
            if amount > MAX_FIXED_MARGIN:
                raise ValueError
            return kind, amount
        basis_points = value.scaleb(2)
        if basis_points != basis_points.to_integral_value() or basis_points > MAX_MARGIN_BASIS_POINTS:
            raise ValueError
        return kind, int(basis_points)
    except (ValueError, InvalidOperation, TypeError):
        raise DomainError("bad_margin", _l("Give the margin as an amount (2.50) or a percentage with at most "
                                           "two decimals (12.5)."), field="margin") from None


def format_margin(group_buy: GroupBuy) -> str:
    """The margin as the shopkeeper typed it: "2.50" or "12.5"."""
    if group_buy.margin_kind == MarginKind.FIXED:
        return str(Money(group_buy.margin_value, group_buy.offer.currency).major())
    return f"{Decimal(group_buy.margin_value).scaleb(-2).normalize():f}"
