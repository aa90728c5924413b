"""The `voelgoed` command: operators' access to the same workflows the API calls."""
