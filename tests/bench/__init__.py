"""Benchmarks (`make bench`): they print figures; the test suite asserts correctness only."""
