"""Agents of capex-abm: one module per kind of firm in the AI-accelerator supply chain."""
