"""Read: turn files, web pages and feeds into ``Article``s; clean them and cut them into passages."""
