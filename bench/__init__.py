"""Benchmarks: run by hand (see bench/README.md), never collected by the test suite."""
