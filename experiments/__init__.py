"""Declared scenarios and studies (TOML data files; no code)."""
