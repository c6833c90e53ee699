"""Measured drop-in replacements for hot spots in files the benchmark owner does not own (see BENCHMARKS.md)."""
