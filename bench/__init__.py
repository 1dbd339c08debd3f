"""The load generator: `python -m bench SCENARIO --url ...` (see README)."""
