"""Fab (foundry): logic dies and advanced packaging (CoWoS), in accelerators per month.

Invests by the capacity rule of :mod:`agents.capacity_firm`, with the fab's own
lead time (multi-year for new fabs and packaging lines) and cycle time.
"""

from __future__ import annotations

from agents.capacity_firm import CapacityFirm


class Fab(CapacityFirm):
    """A foundry producing packaged accelerator dies (TSMC)."""

    kind = "fab"
