"""`python -m benchmarks NAME [options]`: run one benchmark (or `all`, with its defaults), print
its table, and write it to docs/benchmarks.md. `python -m benchmarks NAME --help` lists options."""

from __future__ import annotations

import argparse

from benchmarks import holds, http, layout_import

BENCHMARKS = {"layouts": layout_import, "holds": holds, "http": http}


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    names = parser.add_subparsers(dest="name", required=True)
    for name, module in BENCHMARKS.items():
        module.add_arguments(names.add_parser(name, help=(module.__doc__ or "").split("\n")[0]))
    names.add_parser("all", help="every benchmark with its defaults")
    arguments = parser.parse_args()
    for name, module in BENCHMARKS.items():
        if arguments.name in (name, "all"):
            if arguments.name == "all":
                defaults = argparse.ArgumentParser()
                module.add_arguments(defaults)
                module.main(defaults.parse_args([]))
            else:
                module.main(arguments)


if __name__ == "__main__":
    main()
