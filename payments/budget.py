"""A rate budget for calls to a gateway: a token bucket driven by a clock you can inject.

The bucket starts empty and holds at most one call, so ``n`` calls take at least ``n / rate`` seconds
— also across batches run one after another in the same process. (Several workers each keep their own
budget: give each its share of the gateway's limit.)
"""

from __future__ import annotations

import time
from collections.abc import Callable


class RateBudget:
    def __init__(self, per_second: float, *, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep):
        if per_second <= 0:
            raise ValueError("a rate budget needs a positive rate")
        self.interval = 1.0 / per_second
        self.clock = clock
        self.sleep = sleep
        self.next_at = clock() + self.interval

    def take(self) -> None:
        """Wait, if need be, until one more call fits in the budget."""
        now = self.clock()
        if now < self.next_at:
            self.sleep(self.next_at - now)
            now = self.clock()
        self.next_at = max(now, self.next_at) + self.interval
