"""The vocabulary every layer shares, pure: money and Alegra's totals, the error tree, the
statuses, and the injected clock."""
