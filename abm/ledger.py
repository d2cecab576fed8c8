"""The ledger: every dollar booked to an agent, in integer cents.

Cash moves only through :meth:`Ledger.pay`, which debits the payer, credits the
payee and records the flow under a named account for both. Money entering or
leaving the modelled economy (end customers, power, equipment makers, buyers
of fire-sold GPUs) has the counterparty :data:`OUTSIDE`. Non-cash items —
depreciation, impairments, inventory write-downs, loan losses — are recorded
with :meth:`Ledger.book` and move no cash.

Amounts are kept in integer cents so that each agent's cash change equals the
sum of its booked cash flows exactly, and the totals across agents reconcile
with what crossed the boundary to the cent.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Protocol

OUTSIDE = "outside"
"""The counterparty for money that enters or leaves the modelled economy."""

CASH_ACCOUNTS = frozenset({
    "equity", "gpu_sales", "component_sales", "compute_revenue", "other_income", "opex",
    "capex", "interest", "loan_drawn", "principal", "collateral_sale",
})
NON_CASH_ACCOUNTS = frozenset({
    "depreciation", "impairment", "inventory_writedown", "loan_loss",
})


class HasCash(Protocol):
    """An agent that holds cash (in cents) and has a ledger name."""

    node: str
    cash_cents: int


def to_cents(dollars: float) -> int:
    """US$ → integer cents (rounded half to even)."""
    return round(dollars * 100.0)


class Ledger:
    """Cash flows and book entries of one run, by month, agent and account."""

    def __init__(self) -> None:
        self.outside_cents = 0
        """Net cash the modelled economy has paid to the outside (cents)."""
        self.flows: dict[tuple[str, str], int] = defaultdict(int)
        """This month's booked cents by (agent, account); cash and non-cash."""
        self.balances: dict[str, int] = defaultdict(int)
        """Cumulative booked cash flows by agent (cents): what its cash must be."""
        self._kinds: dict[str, str] = {}
        self._by_kind: dict[tuple[str, str], int] | None = None
        """This month's cents by (kind, account), summed once when first asked for."""

    def open(self, agent: HasCash, kind: str, cash: float) -> None:
        """Register an agent with its opening cash (booked as equity from outside)."""
        self._kinds[agent.node] = kind
        agent.cash_cents = 0
        self.pay(None, agent, cash, "equity")

    def start_month(self) -> None:
        """Begin a month: this month's flows start from zero."""
        self.flows = defaultdict(int)
        self._by_kind = None

    def pay(self, payer: HasCash | None, payee: HasCash | None, dollars: float,
            account: str) -> int:
        """Move ``dollars`` (≥ 0) from payer to payee (None: outside); return the cents."""
        if account not in CASH_ACCOUNTS:
            raise ValueError(f"account {account!r}: expected one of {sorted(CASH_ACCOUNTS)}")
        cents = to_cents(dollars)
        if cents < 0:
            raise ValueError(f"pay: amount {dollars!r} US$ is negative; swap payer and payee")
        if cents == 0:
            return 0
        self._by_kind = None
        if payer is None:
            self.outside_cents -= cents
        else:
            self._move(payer, account, -cents)
        if payee is None:
            self.outside_cents += cents
        else:
            self._move(payee, account, cents)
        return cents

    def _move(self, agent: HasCash, account: str, cents: int) -> None:
        node = agent.node
        agent.cash_cents += cents
        self.balances[node] += cents
        self.flows[node, account] += cents

    def book(self, agent: HasCash, dollars: float, account: str) -> int:
        """Record a non-cash loss (≥ 0 US$) such as depreciation; return the cents."""
        if account not in NON_CASH_ACCOUNTS:
            raise ValueError(f"account {account!r}: expected one of {sorted(NON_CASH_ACCOUNTS)}")
        cents = to_cents(dollars)
        if cents < 0:
            raise ValueError(f"book: amount {dollars!r} US$ is negative")
        self._by_kind = None
        self.flows[agent.node, account] += cents
        return cents

    def month_total(self, account: str, kind: str | None = None) -> float:
        """This month's total of an account (US$), over all agents or one kind."""
        if self._by_kind is None:
            # One pass over the month's flows serves every later call until the next booking
            # (the model asks for some twenty totals at the month's end).
            self._by_kind = defaultdict(int)
            for (n, a), c in self.flows.items():
                self._by_kind[self._kinds[n], a] += c
        return sum(c for (k, a), c in self._by_kind.items()
                   if a == account and (kind is None or k == kind)) / 100.0
