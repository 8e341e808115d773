"""digitizer: raw scans in, searchable, signed PDF/A out, registered in a reusable-data store."""

__version__ = "0.1.0"
