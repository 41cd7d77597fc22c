"""The ``persist`` console script: inspect, check, repair and move stored state from a terminal.

It uses only the public API (``get_driver``, the driver methods and the codec), so it works with any
installed driver, and it is importable for tests: ``main(["ls", "--json"])`` returns the exit status.
"""

from persist_core.cli.app import build_parser, main

__all__ = ["build_parser", "main"]
