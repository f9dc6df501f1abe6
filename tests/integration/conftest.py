"""Integration fixtures: `module_engine` (one database per module and backend)."""

from __future__ import annotations

from tests.support.db import module_engine

__all__ = ["module_engine"]
