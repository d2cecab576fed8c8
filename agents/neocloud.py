"""Neocloud: a debt-financed buyer of accelerators.

Orders by the buyer rule of :mod:`agents.buyer`, at a smaller scale than a
hyperscaler (``topology.neocloud_size``). Money:

* **Financing.** Pays for deliveries with a loan from its lender of up to
  ``credit.max_ltv`` of the units' market value, and its own cash for the
  rest; declines units it cannot finance.
* **Revenue.** Rents its fleet at the market rental price, pays to run it and
  services its debt (interest at the lender's rate plus the scheduled
  principal) from that income.
* **Default.** When it cannot pay its debt service or a covenant call, it
  defaults: the lender seizes and sells its GPUs and it leaves the supply
  graph, its open orders cancelled.
"""

from __future__ import annotations

from agents.buyer import Buyer
from agents.lender import Lender


class Neocloud(Buyer):
    """A GPU cloud financed by loans collateralised by its fleet (CoreWeave, Nebius …)."""

    kind = "neocloud"

    lender: Lender
    """Its lender (set by the model from the credit edges of the graph)."""

    @property
    def debt(self) -> float:
        """Outstanding principal owed to its lender (US$)."""
        loan = self.lender.loans.get(self.node)
        return loan.principal if loan else 0.0

    def affordable_units(self, price: float, unit_value: float) -> float:
        if price <= 0.0:
            return float("inf")
        cash = self.spendable()
        lendable = self.lender.lendable()
        credit_per_unit = min(price, self.lender.loan_to_value(unit_value))
        own_per_unit = price - credit_per_unit
        by_cash = cash / own_per_unit if own_per_unit > 0.0 else float("inf")
        return min(by_cash, (cash + lendable) / price)

    def raise_funds(self, cost: float, collateral_value: float) -> None:
        loan = min(cost, self.lender.credit_available(collateral_value))
        if loan > 0.0:
            self.model.ledger.pay(self.lender, self, loan, "loan_drawn")
            self.lender.record_loan(self.node, loan)

    def service_debt(self) -> bool:
        """Pay this month's interest and principal; False when it cannot (a default)."""
        loan = self.lender.loans.get(self.node)
        if loan is None or loan.principal <= 0.0:
            return True
        interest = loan.principal * self.lender.rate
        if self.cash_cents / 100.0 < interest + loan.instalment:
            return False
        self.model.ledger.pay(self, self.lender, interest, "interest")
        self.repay(loan.instalment)
        return True

    def repay(self, amount: float) -> None:
        """Repay ``amount`` of principal to its lender."""
        self.model.ledger.pay(self, self.lender, amount, "principal")
        self.lender.record_repayment(self.node, amount)
