"""Filesystem persist drivers "fs" and "rootlessfs" (kata's sbs/<sid>/persist.json layout)."""

from persist_fs.driver import FsDriver, RootlessFsDriver

__all__ = ["FsDriver", "RootlessFsDriver"]
