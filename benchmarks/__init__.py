"""The performance harness (GitHub issue 9): `make bench` / `python -m benchmarks`; see BENCHMARKS.md."""
