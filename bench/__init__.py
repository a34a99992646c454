"""Benchmarks: results and method in BENCHMARKS.md at the repository root."""
