"""Money: an integer number of minor units and an ISO 4217 currency. Never a float."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from babel.numbers import format_currency, get_currency_precision

SUPPORTED_CURRENCIES = ("CNY", "USD", "EUR", "GBP", "HKD", "JPY", "SGD")


def minor_digits(currency: str) -> int:
    return get_currency_precision(currency)


@dataclass(frozen=True, order=True)
class Money:
    amount: int  #: minor units (fen, cents); an int, never a float
    currency: str

    def __post_init__(self):
        if not isinstance(self.amount, int) or isinstance(self.amount, bool):
            raise TypeError("Money.amount is an integer number of minor units")
        if len(self.currency) != 3 or not self.currency.isupper():
            raise ValueError(f"not an ISO 4217 currency code: {self.currency!r}")

    def _same(self, other: Money) -> None:
        if self.currency != other.currency:
            raise ValueError(f"cannot mix {self.currency} and {other.currency}")

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount - other.amount, self.currency)

    def __mul__(self, quantity: int) -> Money:
        if not isinstance(quantity, int):
            raise TypeError("Money multiplies by whole quantities only")
        return Money(self.amount * quantity, self.currency)

    __rmul__ = __mul__

    @classmethod
    def parse(cls, text: str, currency: str) -> Money:
        """Read a major-unit decimal string ("12.50") into minor units exactly, refusing excess digits."""
        value = Decimal(str(text).strip())
        digits = minor_digits(currency)
        scaled = value.scaleb(digits)
        if scaled != scaled.to_integral_value():
            raise ValueError(f"{currency} has {digits} decimal places")
        return cls(int(scaled), currency)

    def major(self) -> Decimal:
        return Decimal(self.amount).scaleb(-minor_digits(self.currency))

    def format(self, locale: str = "en") -> str:
        return format_currency(self.major(), self.currency, locale=locale)

    def __str__(self) -> str:
        return self.format()
