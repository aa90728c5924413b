"""The HTTP API (FastAPI): parse, call one workflow, render. ``app.create_app`` builds it."""
