"""The one place that makes random number generators.

A run has one integer seed. :func:`run_streams` turns it into independent
``numpy.random.Generator`` streams through ``numpy.random.SeedSequence``, one per
named use, so adding a use never shifts the numbers another use draws. Nothing
in capex-abm uses a global RNG (a test greps the code for it).
"""

from __future__ import annotations

import numpy as np

STREAMS = ("mesa", "graph", "buyers", "demand", "bench")
"""Named random streams of a run, in spawn order (append only: order fixes the numbers)."""


def run_streams(seed: int) -> dict[str, np.random.Generator]:
    """Independent generators for each named use of randomness in one run.

    >>> a, b = run_streams(7), run_streams(7)
    >>> float(a["demand"].random()) == float(b["demand"].random())
    True
    """
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise ValueError(f"seed = {seed!r}: expected an integer >= 0")
    children = np.random.SeedSequence(int(seed)).spawn(len(STREAMS))
    return {name: np.random.Generator(np.random.PCG64(child))
            for name, child in zip(STREAMS, children, strict=True)}

