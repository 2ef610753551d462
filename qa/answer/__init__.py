"""Readers: choose the sentence that answers a question from the retrieved passages, or say not found."""
