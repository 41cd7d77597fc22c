"""Filesystem persist drivers "fs" and "rootlessfs" (kata's sbs/<sid>/persist.json layout)."""
