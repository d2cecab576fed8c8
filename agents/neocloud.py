"""Neocloud: a debt-financed buyer of accelerators.

Orders by the buyer rule of :mod:`agents.buyer`, at a smaller scale than a
hyperscaler (``topology.neocloud_size``). Borrowing against its GPUs, renting
compute and defaulting come with the finance issue.
"""

from __future__ import annotations

from agents.buyer import Buyer


class Neocloud(Buyer):
    """A GPU cloud financed by loans collateralised by its fleet (CoreWeave, Nebius …)."""

    kind = "neocloud"
