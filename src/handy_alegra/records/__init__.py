"""The typed records of both APIs: what we read (Alegra, Handy) and what we write (drafts),
with the lenient field parsing they share (``wire``). No I/O."""
