"""Power-loss crash states of the fs driver, ALICE/CrashMonkey style (test-only).

``record`` captures the file-system operations one driver call makes (trace.py), ``explore`` builds
every on-disk state a power cut could leave under a weak POSIX persistence model (model.py,
explore.py), and the tests check the driver's recovery on each. See docs/fs.md, "Power loss".
"""
