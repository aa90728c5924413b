"""Use cases. Each workflow owns one transaction (a unit of work) and returns plain views."""
