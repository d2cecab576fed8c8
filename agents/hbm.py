"""HBM supplier: high-bandwidth memory stacks, in stacks per month.

Invests by the capacity rule of :mod:`agents.capacity_firm` with the HBM tier's
lead and cycle times; the vendor needs ``vendor.stacks_per_unit`` stacks for
each accelerator it builds.
"""

from __future__ import annotations

from agents.capacity_firm import CapacityFirm


class HbmSupplier(CapacityFirm):
    """A memory maker (SK hynix, Samsung, Micron)."""

    kind = "hbm"
