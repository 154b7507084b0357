"""Accounts: their settings and secrets (registry, vault), activation and editing, the
doctor's checks, and the dashboard's operators."""
