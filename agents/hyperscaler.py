"""Hyperscaler: a cash-rich buyer of accelerators.

Orders by the buyer rule of :mod:`agents.buyer` (forecast from its customers'
demand plus a defensive term, inflation and duplicate orders under a perceived
shortage, cancellation once filled). The money side — cloud revenue, capex
bounded by cash flow, capital-market discipline, depreciation — comes with the
finance issue.
"""

from __future__ import annotations

from agents.buyer import Buyer


class Hyperscaler(Buyer):
    """A large cloud provider (MSFT, GOOGL, AMZN, META …)."""

    kind = "hyperscaler"
