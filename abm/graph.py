"""The supply graph: scenario → ``networkx.DiGraph`` → flat CSR arrays for the kernel.

Nodes are firms (attribute ``kind``: fab, hbm, vendor, distributor, hyperscaler,
neocloud, lender). Credit edges (``relation="credit"``) point from a lender to
the neoclouds it finances. Supply edges (``relation="supply"``) point from
supplier to customer and carry ``lead_time``
(months), ``priority`` (smaller is served first under lexicographic rationing)
and ``share`` (the customer's share of its orders of that input placed on this
supplier). Each allocation tier is compiled to a :class:`Tier`: its suppliers,
and their customers' order lines laid out CSR-style by supplier, which is the
layout the allocation kernel takes (bound to it once per rule:
:class:`abm.allocation_bound.BoundKernel`). Tiers are recompiled only when the
graph's ``topology_version`` changes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import networkx as nx
import numpy as np

from abm.allocation_bound import BoundKernel
from abm.config import Scenario

BUYER_KINDS = ("hyperscaler", "neocloud")

TIERS = {"fab": ("fab", "vendor"), "hbm": ("hbm", "vendor"),
         "vendor": ("vendor", "distributor"), "distributor": ("distributor", BUYER_KINDS)}
"""Allocation tiers: name → (supplier kind, customer kind or kinds)."""

BUYER_PRIORITY = {"hyperscaler": 0.0, "neocloud": 1.0}
"""Lexicographic priority of a buyer at its distributors (assumption: big buyers first)."""


@dataclass(frozen=True)
class Tier:
    """One allocation tier in CSR layout.

    Attributes
    ----------
    suppliers : list of node ids, length S
    lines : list of (supplier, customer) edges, length E, grouped by supplier
    indptr : int64[S + 1]
        Supplier ``s`` owns lines ``indptr[s]:indptr[s + 1]``.
    priority : float64[E]
        The edges' ``priority`` attribute.
    """

    suppliers: list[str]
    lines: list[tuple[str, str]]
    indptr: np.ndarray
    priority: np.ndarray
    _kernels: dict[str, BoundKernel] = field(default_factory=dict, init=False, repr=False,
                                             compare=False)

    def kernel(self, rule: str) -> BoundKernel:
        """The allocation kernel bound to this tier's layout and priorities under ``rule``:
        made on first use, then reused every step."""
        if rule not in self._kernels:
            self._kernels[rule] = BoundKernel(self.indptr, rule, self.priority)
        return self._kernels[rule]


def build_graph(scenario: Scenario, rng: np.random.Generator) -> nx.DiGraph:
    """The supply graph of a scenario; ``rng`` picks each buyer's distributors."""
    t = scenario.topology
    graph = nx.DiGraph(topology_version=0)
    graph.add_node("vendor", kind="vendor")
    for i in range(t.fabs):
        graph.add_node(f"fab{i}", kind="fab")
        graph.add_edge(f"fab{i}", "vendor", relation="supply",
                       lead_time=scenario.fab.cycle_time_months, priority=0.0,
                       share=1.0 / t.fabs)
    for i, share in enumerate(t.hbm_shares):
        graph.add_node(f"hbm{i}", kind="hbm")
        graph.add_edge(f"hbm{i}", "vendor", relation="supply",
                       lead_time=scenario.hbm.cycle_time_months, priority=0.0, share=share)
    for i in range(t.distributors):
        graph.add_node(f"distributor{i}", kind="distributor")
        graph.add_edge("vendor", f"distributor{i}", relation="supply", lead_time=0,
                       priority=0.0, share=1.0)
    buyers = [("hyperscaler", i) for i in range(t.hyperscalers)]
    buyers += [("neocloud", i) for i in range(t.neoclouds)]
    for i in range(scenario.credit.lenders):
        graph.add_node(f"lender{i}", kind="lender")
    for kind, i in buyers:
        node = f"{kind}{i}"
        graph.add_node(node, kind=kind)
        if kind == "neocloud":
            graph.add_edge(f"lender{i % scenario.credit.lenders}", node, relation="credit")
        picks = rng.choice(t.distributors, size=t.channels_per_buyer, replace=False)
        for rank, d in enumerate(picks):
            graph.add_edge(f"distributor{d}", node, relation="supply",
                           lead_time=scenario.buyers.install_lag_months,
                           priority=BUYER_PRIORITY[kind], share=1.0 if rank == 0 else 0.0,
                           channel=rank)
    return graph


def nodes_of_kind(graph: nx.DiGraph, kinds: str | tuple[str, ...]) -> list[str]:
    """Nodes whose ``kind`` is one of ``kinds``, in insertion order."""
    kinds = (kinds,) if isinstance(kinds, str) else kinds
    return [n for n, kind in graph.nodes(data="kind") if kind in kinds]


def compile_tier(graph: nx.DiGraph, supplier_kind: str,
                 customer_kinds: str | tuple[str, ...]) -> Tier:
    """Lay out the order lines from ``customer_kinds`` to ``supplier_kind`` nodes as CSR.

    Examples
    --------
    Two distributors; one buyer orders from both, another from the second only:

    >>> g = nx.DiGraph()
    >>> g.add_nodes_from(["d0", "d1"], kind="distributor")
    >>> g.add_nodes_from(["h0", "n0"], kind="hyperscaler")
    >>> g.add_edge("d0", "h0", priority=0.0)
    >>> g.add_edge("d1", "h0", priority=0.0)
    >>> g.add_edge("d1", "n0", priority=1.0)
    >>> tier = compile_tier(g, "distributor", "hyperscaler")
    >>> tier.indptr.tolist(), tier.lines
    ([0, 1, 3], [('d0', 'h0'), ('d1', 'h0'), ('d1', 'n0')])
    """
    customer_kinds = (customer_kinds,) if isinstance(customer_kinds, str) else customer_kinds
    suppliers = nodes_of_kind(graph, supplier_kind)
    lines: list[tuple[str, str]] = []
    priority: list[float] = []
    indptr = [0]
    for s in suppliers:
        for customer in graph.successors(s):
            if graph.nodes[customer]["kind"] in customer_kinds:
                lines.append((s, customer))
                priority.append(float(graph.edges[s, customer].get("priority", 0.0)))
        indptr.append(len(lines))
    return Tier(suppliers, lines, np.array(indptr, dtype=np.int64),
                np.array(priority, dtype=np.float64))


class CompiledTiers:
    """The graph's tiers, recompiled only when ``graph.graph['topology_version']`` changes."""

    def __init__(self, graph: nx.DiGraph) -> None:
        self.graph = graph
        self._version: int | None = None
        self._tiers: dict[str, Tier] = {}
        self.compilations = 0

    def __getitem__(self, name: str) -> Tier:
        version = self.graph.graph["topology_version"]
        if version != self._version:
            self._tiers = {n: compile_tier(self.graph, *kinds) for n, kinds in TIERS.items()}
            self._version = version
            self.compilations += 1
        return self._tiers[name]
