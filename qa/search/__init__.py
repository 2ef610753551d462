"""Search a collection: dense and BM25 candidates fused, near-duplicates collapsed, optionally re-ranked."""
