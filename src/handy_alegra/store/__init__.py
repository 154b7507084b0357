"""The state store: accounts, what each sync knows of Handy, runs, cursors, order records."""
