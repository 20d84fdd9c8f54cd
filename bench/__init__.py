"""Benchmarks that print numbers. `python -m bench [--quick]` (what `make bench` runs) gathers them in one
table and writes the same rows as JSON; bench/synth.py, bench/setup.py and bench/drill.py still run on their
own, and the table reuses their functions.
"""
