"""What the CLI and the dashboard show and do over the store: an order's story, an account's
status and health, the actions on an order."""
