"""The dashboard (FastAPI + Jinja2), the Alegra webhook receiver and /metrics."""
