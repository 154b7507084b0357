"""Pure mapping rules: typed records in, verdicts or drafts out. No I/O here."""
