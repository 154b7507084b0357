"""The deployment's settings (one pydantic-settings object) and its private files."""
