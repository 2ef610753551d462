"""What every stage knows about English text: sentence boundaries and word lists."""
