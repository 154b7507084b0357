"""Prometheus series. Defined once here; the code that counts imports them."""

from __future__ import annotations

from prometheus_client import Counter

API_CALLS = Counter(
    "handy_alegra_api_calls_total", "API calls made, by API and HTTP status", ["api", "status"]
)
RATE_LIMIT_WAITS = Counter(
    "handy_alegra_rate_limit_wait_seconds_total",
    "Seconds spent waiting for a rate-limit window, by API",
    ["api"],
)
RATE_LIMITED = Counter("handy_alegra_rate_limited_total", "429 answers received, by API", ["api"])
LOGIN_FAILURES = Counter(
    "handy_alegra_login_failures_total",
    "Failed dashboard logins, by reason (unknown_operator, wrong_password, disabled)",
    ["reason"],
)
LOGIN_THROTTLED = Counter(
    "handy_alegra_login_throttled_total",
    "Dashboard logins refused with 429 while a username or address was locked",
    ["scope"],
)
WEBHOOK_DELIVERIES = Counter(
    "handy_alegra_webhook_deliveries_total",
    "Alegra webhook deliveries, by outcome (recorded, verification, problem, unknown_token)",
    ["outcome"],
)
