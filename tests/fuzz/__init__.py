"""Fuzzing: malformed API payloads against the parsers, the pure rules and whole syncs."""
