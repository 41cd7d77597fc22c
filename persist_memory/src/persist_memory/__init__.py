"""In-memory persist driver: the fs driver's behaviour for test suites, with fault injection."""

from persist_memory.driver import MemoryDriver

__all__ = ["MemoryDriver"]
