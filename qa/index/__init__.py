"""The collection folder: SQLite store, vector and BM25 indexes, manifest, ingest, staging and checks."""
