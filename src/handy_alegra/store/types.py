"""Column types that keep values exact on SQLite and PostgreSQL alike."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, DateTime, Dialect, String
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.types import TypeDecorator, TypeEngine


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in, aware UTC datetimes out (SQLite keeps no zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored")
        moment = value.astimezone(UTC)
        return moment.replace(tzinfo=None) if dialect.name == "sqlite" else moment

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class DecimalText(TypeDecorator[Decimal]):
    """A Decimal stored as its exact text (no float on the way)."""

    impl = String(40)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        return None if value is None else str(Decimal(value))

    def process_result_value(self, value: str | None, dialect: Dialect) -> Decimal | None:
        return None if value is None else Decimal(value)


#: How a Decimal is written inside a JSON column: ``"$dec:86.206897"`` (exact text, no float).
DECIMAL_TAG = "$dec:"


def encode_decimals(fields: dict[str, Any]) -> dict[str, Any]:
    """The JSON the store keeps for ``fields``: each Decimal value as ``$dec:`` + its text."""
    return {k: f"{DECIMAL_TAG}{v}" if isinstance(v, Decimal) else v for k, v in fields.items()}


def decode_decimals(fields: dict[str, Any]) -> dict[str, Any]:
    """``encode_decimals`` undone: the tagged values are Decimals again."""
    return {
        k: Decimal(v[len(DECIMAL_TAG) :]) if isinstance(v, str) and v.startswith(DECIMAL_TAG) else v
        for k, v in fields.items()
    }


class DecimalJson(TypeDecorator[dict[str, Any]]):
    """A JSON object (JSONB on PostgreSQL) whose Decimal values come back as Decimals, exact:
    the one Decimal↔JSON encoding of the store (``$dec:`` tags on the object's values; the
    fields the syncs compare are flat). Used by every column that holds synced field values:
    ``verdicts.desired``, ``snapshots.data``, ``handy_records.known``."""

    impl = JSON
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        return dialect.type_descriptor(JSONB() if dialect.name == "postgresql" else JSON())

    def process_bind_param(
        self, value: dict[str, Any] | None, dialect: Dialect
    ) -> dict[str, Any] | None:
        return None if value is None else encode_decimals(value)

    def process_result_value(
        self, value: dict[str, Any] | None, dialect: Dialect
    ) -> dict[str, Any] | None:
        return None if value is None else decode_decimals(value)
