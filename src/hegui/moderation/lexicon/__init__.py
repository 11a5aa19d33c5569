"""Keyword libraries: the data model, the on-disk format, import, coverage checks, change log."""
