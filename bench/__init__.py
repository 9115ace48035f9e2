"""Benchmarks, run by ``make bench``: each prints its figures as ratios against a baseline."""
