"""Lender: finances neoclouds' GPUs against the GPUs themselves.

Rules (Kiyotaki & Moore 1997 in miniature: credit limited by collateral whose
price depends on forced sales):

* **Lending.** At delivery a borrower may draw up to ``credit.max_ltv`` of the
  market value of the units it buys, as far as the lender's cash allows.
* **Pricing.** The annual rate is the base rate plus a spread that widens with
  the lender's own default experience: its loan losses over the last 12
  months as a share of its loan book.
* **Covenants.** Each quarter it tests every loan's loan-to-value against the
  market value of the collateral; above ``credit.covenant_ltv`` it calls for
  repayment down to ``credit.max_ltv``, and a borrower who cannot pay defaults.
* **Default.** It seizes the GPUs and sells them at once at the secondary price;
  the units sold add to the month's fire sales, which depress the secondary
  price that every lender values its collateral at. A shortfall is its loss.

References
----------
Kiyotaki, N. & Moore, J. (1997) Credit cycles. Journal of Political Economy
105(2):211–248. doi:10.1086/262072
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import mesa

from abm.config import CreditParams
from abm.markets import monthly_rate


@dataclass
class Loan:
    """One borrower's debt to a lender (US$)."""

    principal: float = 0.0
    """Outstanding principal."""
    instalment: float = 0.0
    """Scheduled principal repayment per month."""


class Lender(mesa.Agent):
    """A bank or private-credit fund lending against GPUs."""

    kind = "lender"

    def __init__(self, model: mesa.Model, node: str, params: CreditParams) -> None:
        super().__init__(model)
        self.node = node
        self.params = params
        self.cash_cents = 0
        self.loans: dict[str, Loan] = {}
        self.recent_losses: deque[float] = deque([0.0] * 12, maxlen=12)
        self.rate = 0.0
        """Interest per month this month (set once a month)."""

    @property
    def book(self) -> float:
        """Outstanding principal over all loans (US$)."""
        return sum(loan.principal for loan in self.loans.values())

    def loss_rate(self) -> float:
        """Loan losses over the last 12 months ÷ (loan book + those losses)."""
        losses = sum(self.recent_losses)
        return losses / (self.book + losses) if losses > 0.0 else 0.0

    def monthly_rate(self) -> float:
        """Interest per month on its loans, from the base rate and the current spread."""
        p = self.params
        annual = p.base_rate_annual + p.spread_annual + p.spread_sensitivity * self.loss_rate()
        return monthly_rate(annual)

    def lendable(self) -> float:
        """The cash it has to lend (US$)."""
        return max(0.0, self.cash_cents / 100.0)

    def loan_to_value(self, collateral_value: float) -> float:
        """The most it lends against collateral worth ``collateral_value`` (US$), cash aside."""
        return self.params.max_ltv * collateral_value

    def credit_available(self, collateral_value: float) -> float:
        """What it will lend against collateral worth ``collateral_value`` (US$)."""
        return min(self.loan_to_value(collateral_value), self.lendable())

    def record_loan(self, borrower: str, amount: float) -> None:
        """Add ``amount`` to a borrower's loan, amortised over the loan term."""
        loan = self.loans.setdefault(borrower, Loan())
        loan.principal += amount
        loan.instalment += amount / self.params.loan_term_months

    def record_repayment(self, borrower: str, amount: float) -> None:
        """A borrower repaid ``amount`` of principal."""
        loan = self.loans[borrower]
        loan.principal = max(0.0, loan.principal - amount)
        loan.instalment = min(loan.instalment, loan.principal)

    def covenant_call(self, borrower: str, collateral_value: float) -> float:
        """Repayment due after the quarterly test (0 when the loan is within covenant)."""
        loan = self.loans.get(borrower)
        if loan is None or loan.principal <= 0.0:
            return 0.0
        if loan.principal <= self.params.covenant_ltv * collateral_value:
            return 0.0
        return loan.principal - self.params.max_ltv * collateral_value

    def write_off(self, borrower: str, recovered: float) -> float:
        """Close a defaulted loan after the collateral sale; return the loss (US$)."""
        loan = self.loans.pop(borrower, Loan())
        loss = max(0.0, loan.principal - recovered)
        self.recent_losses[-1] += loss
        return loss

    def close_month(self) -> None:
        """Roll the 12-month window of default experience."""
        self.recent_losses.append(0.0)
