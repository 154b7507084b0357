"""The error tree every API call raises, whichever API it talks to.

::

    ApiError                      an API call failed; carries api, method, path, status
    ├── AuthenticationError       credentials refused (401), plan or permission (402, 403)
    ├── NotFoundError             the record does not exist (404)
    ├── ValidationError           the server refused the data (400, 422); permanent,
    │                             with the server's per-field messages
    ├── RateLimitedError          429 (the limiter waits for the reset the answer announced)
    ├── TransientError            timeouts, connection errors, 5xx, inconsistent paging;
    │                             worth retrying later
    ├── AmbiguousWriteError       a POST whose outcome is unknown: the server may or may not
    │                             have created the document; the caller must look before
    │                             posting again
    └── InsecureUrlError          never sent: the base URL is plain http to another machine,
                                  where the credentials would travel in clear

    RecordParseError              one record of a listing could not be read; names the record
                                  and the field; a listing yields it and goes on

Each API's client classifies HTTP statuses into this tree once, in a table
(``STATUS_ERRORS`` in ``clients/alegra.py`` and ``clients/handy.py``). Nothing here ever holds
a credential: messages are built from the method, the path and the server's answer.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class FieldMessage:
    """One complaint of the server about one field."""

    field: str | None
    message: str
    rejected_value: str | None = None

    def __str__(self) -> str:
        return f"{self.field}: {self.message}" if self.field else self.message


class ApiError(Exception):
    """An API call failed."""

    #: Whether trying the same call again later may succeed.
    retryable = False

    def __init__(
        self,
        message: str,
        *,
        api: str = "",
        method: str = "",
        path: str = "",
        status: int | None = None,
        fields: tuple[FieldMessage, ...] = (),
        body: object = None,
    ) -> None:
        self.message = message
        self.api = api
        self.method = method
        self.path = path
        self.status = status
        self.fields = fields
        self.body = body  # the server's error body as parsed JSON, when it had one
        super().__init__(str(self))

    def __str__(self) -> str:
        where = " ".join(p for p in (self.api.capitalize(), self.method, self.path) if p)
        status = f" → {self.status}" if self.status is not None else ""
        detail = "; ".join(str(f) for f in self.fields)
        text = f"{where}{status}: {self.message}" if where else self.message
        return f"{text} ({detail})" if detail else text

    def __reduce__(self) -> tuple[object, ...]:  # keep attributes across pickling (workers)
        return (_rebuild, (type(self), self.message, self.__dict__))


def _rebuild(cls: type[ApiError], message: str, state: dict[str, object]) -> ApiError:
    err = cls.__new__(cls)
    Exception.__init__(err, message)
    err.__dict__.update(state)
    return err


class AuthenticationError(ApiError):
    """The API refused the credentials, or the plan or user lacks permission."""


class NotFoundError(ApiError):
    """The record does not exist."""


class ValidationError(ApiError):
    """The server rejected the data; sending it again unchanged will fail again."""


class RateLimitedError(ApiError):
    """The rate limit is exhausted; the server did not process the request."""

    retryable = True


class TransientError(ApiError):
    """A timeout, a dropped connection, a 5xx or a paging inconsistency: try again later."""

    retryable = True


class AmbiguousWriteError(ApiError):
    """A POST whose outcome is unknown: the document may exist. Look before posting again."""

    retryable = True


class InsecureUrlError(ApiError):
    """The request was not sent: its credentials would have crossed the network in clear."""


class RecordParseError(ValueError):
    """One record from an API could not be read into a typed record."""

    def __init__(self, kind: str, record_id: str | None, field: str, problem: str) -> None:
        self.kind = kind
        self.record_id = record_id
        self.field = field
        self.problem = problem
        super().__init__(str(self))

    def __str__(self) -> str:
        who = f"{self.kind} {self.record_id}" if self.record_id else f"{self.kind} without id"
        return f"{who}: field '{self.field}' {self.problem}"

    def __reduce__(self) -> tuple[object, ...]:
        return (RecordParseError, (self.kind, self.record_id, self.field, self.problem))
