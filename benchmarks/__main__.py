"""`python -m benchmarks <name>`: run one benchmark (or `all`) and record it."""

from __future__ import annotations

import argparse

from benchmarks import holds, http, layout_import

BENCHMARKS = {"layouts": layout_import.main, "holds": holds.main, "http": http.main}


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("name", choices=[*BENCHMARKS, "all"])
    arguments = parser.parse_args()
    for name, run in BENCHMARKS.items():
        if arguments.name in (name, "all"):
            run()


if __name__ == "__main__":
    main()
