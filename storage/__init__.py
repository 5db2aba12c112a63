"""Storage: SQLite schema and migrations, encrypted credentials, model files."""
