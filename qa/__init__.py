"""Question answering over news articles: read → index → search → answer → chat (docs/architecture.md)."""
