"""L1: persistence (SQLAlchemy 2; SQLite by default, PostgreSQL by URL). Not built yet."""
