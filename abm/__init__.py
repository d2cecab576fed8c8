"""capex-abm model core: allocation kernel, supply graph, model, markets, results, CLI."""
