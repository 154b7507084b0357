"""The syncs: one module per direction. ``catalog`` and ``customers`` (Alegra → Handy) share
the keyed engine in ``keyed``; ``sales`` (Handy → Alegra) has its own."""
