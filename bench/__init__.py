"""Benchmarks of emr against named peers, run side by side on the same machine."""
