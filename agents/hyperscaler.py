"""Hyperscaler: a cash-rich buyer of accelerators.

Orders by the buyer rule of :mod:`agents.buyer`. Money:

* **Revenue.** Rents its installed fleet on the compute market (cloud
  revenue = rental price × utilisation × fleet) and pays to run it; its other
  businesses bring a steady cash flow.
* **Capex limit.** It pays for deliveries from cash, then from an unsecured
  credit line (``finance.hyperscaler_credit_line_usd``) at the corporate rate;
  beyond that it declines units it cannot pay for. The line caps purchases
  only: running costs and interest it cannot meet from cash are drawn past it.
* **Capital-market discipline (Q6).** At each quarter end, if its capex has
  risen for ``discipline.quarters`` consecutive quarters while its cloud
  revenue growth slowed in each of them, the board freezes uncommitted orders (those not
  yet due) for ``discipline.freeze_quarters`` quarters: they are cancelled and
  nothing new is ordered.
* **Accounts.** Straight-line depreciation over
  ``finance.accounting_life_years``; each quarter the fleet is impaired to its
  value in use (the discounted rental margin over its remaining economic life)
  when its book value is higher.
"""

from __future__ import annotations

from abm.markets import monthly_rate
from agents.buyer import Buyer


def _growth(series: list[float], back: int) -> float:
    """Growth of ``series`` from ``back + 1`` to ``back`` entries before the end."""
    old, new = series[-2 - back], series[-1 - back]
    return new / old - 1.0 if old > 0.0 else 0.0


class Hyperscaler(Buyer):
    """A large cloud provider (MSFT, GOOGL, AMZN, META …)."""

    kind = "hyperscaler"

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.debt = 0.0
        """Drawn on the credit line (US$)."""
        self.capex_quarters: list[float] = [0.0]
        self.revenue_quarters: list[float] = [0.0]
        self.freezes = 0

    def spendable(self) -> float:
        """Cash plus what is left on the credit line (US$)."""
        line = self.model.config.finance.hyperscaler_credit_line_usd
        return max(0.0, self.cash_cents / 100.0 + max(0.0, line - self.debt))

    def raise_funds(self, cost: float, collateral_value: float) -> None:
        shortfall = cost - self.cash_cents / 100.0
        if shortfall > 0.0:
            self.model.ledger.pay(None, self, shortfall, "loan_drawn")
            self.debt += shortfall

    def earn(self, rental_price: float, utilisation: float, operating_cost: float) -> None:
        """Cloud revenue, running costs, other businesses' cash flow, interest; repay if flush."""
        super().earn(rental_price, utilisation, operating_cost)
        finance = self.model.config.finance
        ledger = self.model.ledger
        ledger.pay(None, self, finance.hyperscaler_other_cash_flow_usd, "other_income")
        ledger.pay(self, None, self.debt * monthly_rate(finance.corporate_rate_annual), "interest")
        repay = min(self.debt, max(0.0, self.cash_cents / 100.0))
        if repay > 0.0:
            ledger.pay(self, None, repay, "principal")
            self.debt -= repay
        elif self.cash_cents < 0:
            draw = -self.cash_cents / 100.0
            ledger.pay(None, self, draw, "loan_drawn")
            self.debt += draw

    def close_month(self, unit_value: float, quarter_end: bool) -> None:
        """Accounts as any buyer; the board reviews the quarter at its end."""
        self.capex_quarters[-1] += self.capex_month
        self.revenue_quarters[-1] += self.revenue_month
        super().close_month(unit_value, quarter_end)
        if quarter_end:
            self.close_quarter()

    def close_quarter(self) -> None:
        """Quarter end: the board looks at capex and revenue growth and may freeze orders."""
        discipline = self.model.config.discipline
        k = discipline.quarters
        capex, revenue = self.capex_quarters, self.revenue_quarters
        if discipline.enabled and len(capex) > k and len(revenue) > k + 1 and not self.frozen:
            rising = all(capex[-1 - i] > capex[-2 - i] for i in range(k))
            slowing = all(_growth(revenue, i) < _growth(revenue, i + 1) for i in range(k))
            if rising and slowing:
                self.frozen_until = self.model.month + 1 + 3 * discipline.freeze_quarters
                self.freezes += 1
        capex.append(0.0)
        revenue.append(0.0)
