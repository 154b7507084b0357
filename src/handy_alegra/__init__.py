"""handy-alegra: keeps Handy (handy.la) and Alegra in step."""

__version__ = "0.1.0"
