"""Answers for people: conversation, terminal text and JSON, HTML for the app, generation, the chat service."""
