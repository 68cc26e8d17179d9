"""Benchmarks run by a command (`make bench-sweep`); the test suite runs only a small smoke
run of each (tests/bench/)."""
