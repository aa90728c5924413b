"""Test helpers: a clock tests can step, and factories for the data most tests need."""
