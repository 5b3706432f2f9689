"""Local persistence: SQLite cache, drafts, outbox, audit and lookups; paths, accounts, secrets."""
