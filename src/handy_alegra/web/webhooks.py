"""``POST /webhooks/alegra/{token}``: Alegra's webhook deliveries (placeholder, being built)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
