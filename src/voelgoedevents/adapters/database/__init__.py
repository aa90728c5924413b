"""PostgreSQL (and, embedded, SQLite) adapter: tables, migrations, engine and unit of work."""
