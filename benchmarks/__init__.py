"""persist's benchmarks: every driver's figures beside the physical floor, run by ``benchmarks/run.py``."""
