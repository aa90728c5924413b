"""The seat cache: Redis in production, an in-process stand-in in embedded mode, nothing at all
in database-only mode. The database stays the truth in every mode."""
