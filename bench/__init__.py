"""Benchmarks: each module measures a component against a baseline in the same run."""
