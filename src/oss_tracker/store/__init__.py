"""Where the history is kept: the SQLite file (schema and migrations, writes, derived tables,
opening it read-only or for writing, backups). Knows SQLite; nothing of HTTP."""
