"""Benchmarks: `python -m bench` runs each module listed in `bench.__main__.MODULES`."""
