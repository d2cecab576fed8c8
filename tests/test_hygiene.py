"""Code rules a test can check: no global RNG, generators made in one module only."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCES = [p for d in ("abm", "agents") for p in (ROOT / d).rglob("*.py")]

GLOBAL_RNG = re.compile(
    r"np\.random\.(seed|rand|randn|randint|random|choice|normal|uniform|shuffle|permutation)\("
    r"|^\s*import random\b|^\s*from random import"
    r"|default_rng\(|np\.random\.Generator\(",
    re.MULTILINE,
)


def test_only_the_seeding_module_makes_random_generators():
    offenders = [str(p.relative_to(ROOT)) for p in SOURCES
                 if p.name != "seeding.py" and GLOBAL_RNG.search(p.read_text())]
    assert offenders == []


def test_the_check_can_fail():
    assert GLOBAL_RNG.search("x = np.random.normal(0, 1)")
    assert GLOBAL_RNG.search("rng = np.random.default_rng(3)")
