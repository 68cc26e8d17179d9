"""Benchmarks run by a command (`make bench-sweep`), never by the test suite."""
