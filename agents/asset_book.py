"""Straight-line book value of a pool of assets bought at different times.

Each purchase (a vintage) is depreciated evenly over its accounting life;
retirements and impairments scale every vintage down in proportion, so the
remaining charges always add up to the book value.
"""

from __future__ import annotations


class AssetBook:
    """Net book value (US$) of assets depreciated straight-line by vintage.

    Examples
    --------
    >>> book = AssetBook()
    >>> book.add(1200.0, life_months=12)
    >>> book.depreciate(), book.value
    (100.0, 1100.0)
    >>> book.write_down_to(550.0), book.depreciate()
    (550.0, 50.0)
    """

    def __init__(self) -> None:
        self._vintages: list[list[float]] = []  # [charge per month, months left]

    @property
    def value(self) -> float:
        """Net book value (US$)."""
        return sum([charge * months for charge, months in self._vintages])

    def add(self, cost: float, life_months: float, months_left: float | None = None) -> None:
        """Add assets costing ``cost`` with ``months_left`` (default all) of their life to run."""
        if cost <= 0.0:
            return
        left = life_months if months_left is None else months_left
        self._vintages.append([cost / left, left])

    def depreciate(self) -> float:
        """Charge one month of depreciation; return it (US$)."""
        charge = 0.0
        spent = False
        for vintage in self._vintages:
            left = vintage[1]
            step = left if left < 1.0 else 1.0  # min(1.0, left), without the call
            charge += vintage[0] * step
            vintage[1] = left - step
            spent = spent or not vintage[1] > 1e-12
        if spent:
            self._vintages = [v for v in self._vintages if v[1] > 1e-12]
        return charge

    def scale(self, factor: float) -> float:
        """Keep ``factor`` (0–1) of every vintage; return the value removed (US$)."""
        before = self.value
        after = []
        for vintage in self._vintages:
            vintage[0] *= factor
            after.append(vintage[0] * vintage[1])
        return before - sum(after)

    def write_down_to(self, recoverable: float) -> float:
        """Impair the pool to ``recoverable`` if its book value is higher; return the loss."""
        value = self.value
        if value <= recoverable or value <= 0.0:
            return 0.0
        return self.scale(max(0.0, recoverable) / value)
