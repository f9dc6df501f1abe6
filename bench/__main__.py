"""Run every benchmark: `python -m bench` (all) or `python -m bench nlp ...` (some)."""

from __future__ import annotations

import importlib
import sys

# Each module has a `main()` that prints its own report. Add yours here.
MODULES = [
    "bench.nlp",
    "bench.slack",
    "bench.scheduler",
    "bench.core",
]


def main(argv: list[str]) -> int:
    """Run the benchmarks named in `argv` (short names such as `nlp`), or all of them."""
    wanted = {f"bench.{name.removeprefix('bench.')}" for name in argv}
    unknown = wanted - set(MODULES)
    if unknown:
        print(f"unknown benchmark(s): {', '.join(sorted(unknown))}; known: {', '.join(MODULES)}")
        return 2
    for name in MODULES:
        if wanted and name not in wanted:
            continue
        print(f"== {name} ==", flush=True)
        importlib.import_module(name).main()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
