"""Benchmarks: `python -m benchmarks <name>`; each prints a table and records it in
docs/benchmarks.md with the machine and the command."""
