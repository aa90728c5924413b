"""Queries, one module per aggregate. Every function takes the caller's organisation and filters
by it: another tenant's row is simply not found."""
