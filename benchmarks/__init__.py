"""The benchmarks: commands anyone can run (README, "Benchmarks") and what they serve.

Each command takes --quick (small data, seconds), which CI runs to keep them working; the
results, dates and data sizes live in docs/BENCHMARKS.md.
"""
