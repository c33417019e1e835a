"""What a sync batch holds: one schema per record type, checked record by record.

The OpenAPI document shows the batch as `SyncBatch`, a list of records tagged by `type`. The
route does not let Litestar decode the body against it, though: one record of the wrong shape
would then refuse the whole batch, and a nurse's outbox would resend it for ever. `SyncDTO`
reads the body as a list of raw records, and `check` converts each one on its own; a record
that does not fit is answered `rejected`, naming its field, and the others go through."""

from __future__ import annotations

import re
import uuid
from collections.abc import Generator
from dataclasses import dataclass
from typing import Annotated, Any, Literal

import msgspec
from litestar.dto import AbstractDTO, DTOConfig, DTOFieldDefinition
from litestar.exceptions import ClientException
from litestar.typing import FieldDefinition

from backend.errors import InvalidInput
from backend.i18n import N_
from backend.referrals.consent import DEFAULT_SCOPE
from backend.security.input_guard import CONTROL, first_refused

MAX_RECORDS = 500
WRONG_SHAPE = N_("This value is missing or has the wrong type.")
TOO_MANY = N_("Send at most 500 records at a time.")

Answer = str | int | float | bool | list[str] | None  # a code, codes, yes/no, a number, text
Line = Annotated[str, msgspec.Meta(max_length=200)]
Text = Annotated[str, msgspec.Meta(max_length=4000)]
Id = Annotated[str, msgspec.Meta(max_length=64)]


class ClientData(msgspec.Struct):
    """As POST /api/v1/clients takes it; `municipality` is a BFS number (or a name)."""

    display_name: Line
    birth_year: int
    municipality: int | Line
    language: Annotated[str, msgspec.Meta(max_length=10)]
    phone: Annotated[str, msgspec.Meta(max_length=40)] | None = None


class ScreeningData(msgspec.Struct):
    """As POST /api/v1/screenings takes it; `client_id` may be a record of the same batch."""

    client_id: Id
    instrument_id: Line
    instrument_version: Line
    answers: dict[Line, Answer] = {}
    strengths: Text | None = None
    status: Literal["completed", "draft"] = "completed"


class ConsentData(msgspec.Struct):
    confirmed: bool = False  # without it nothing is sent
    given_by: Line = "client"  # client | representative
    method: Line = "verbal"  # verbal | written
    given_on: Line | None = None  # YYYY-MM-DD, today when missing
    scope: list[Line] = msgspec.field(default_factory=lambda: list(DEFAULT_SCOPE))


class ReferralData(msgspec.Struct):
    """One offer with its consent; `screening_id` may be a record of the same batch."""

    screening_id: Id
    service_id: Line
    need_domain: Line
    consent: ConsentData = msgspec.field(default_factory=ConsentData)
    note: Text | None = None
    accept_warnings: bool = False


class FollowUpData(msgspec.Struct):
    """A due follow-up the device took along: its `answers` (keys as the follow-up form names
    them, a repeated question as "<linkId>:<need>") or, instead, a `skip_reason`."""

    follow_up_id: Id
    answers: dict[Line, Answer] = {}
    skip_reason: Line | None = None


class ClientRecord(msgspec.Struct, tag="client", tag_field="type"):
    id: Id  # a UUID made on the device
    data: ClientData
    created_at: Line | None = None  # when the device saved it (ISO 8601)


class ScreeningRecord(msgspec.Struct, tag="screening", tag_field="type"):
    id: Id
    data: ScreeningData
    created_at: Line | None = None


class ReferralRecord(msgspec.Struct, tag="referral", tag_field="type"):
    id: Id
    data: ReferralData
    created_at: Line | None = None


class FollowUpRecord(msgspec.Struct, tag="follow_up", tag_field="type"):
    id: Id
    data: FollowUpData
    created_at: Line | None = None  # when the nurse recorded it on the device


SyncRecordIn = ClientRecord | ScreeningRecord | ReferralRecord | FollowUpRecord


class SyncBatch(msgspec.Struct):
    """Records made offline, at most 500; each is answered on its own."""

    records: Annotated[list[SyncRecordIn], msgspec.Meta(max_length=MAX_RECORDS)]


class _RawBatch(msgspec.Struct):
    records: list[Any]


@dataclass
class RawBatch:
    """The batch as sent: its records not yet checked."""

    records: list[Any]


@dataclass
class Checked:
    """A record that fits its schema, with its data as sent (the exactly-once digest is of that)."""

    id: str
    type: str
    data: dict[str, Any]
    typed: ClientData | ScreeningData | ReferralData | FollowUpData
    created_at: str | None


def answer_id(raw: Any) -> str:
    """The id to answer a record under, whatever it holds."""
    value = raw.get("id") if isinstance(raw, dict) else None
    return value if isinstance(value, str) else ""


def check(raw: Any) -> Checked:
    """The record converted to its type's schema, or InvalidInput naming the field that does not
    fit (as the record's data names it: "display_name", "consent.scope", or "id", "type")."""
    if (where := first_refused(raw)) is not None:
        raise InvalidInput(CONTROL, fields={_field(where): CONTROL})
    try:
        record = msgspec.convert(raw, SyncRecordIn, strict=False)
    except msgspec.ValidationError as error:
        raise InvalidInput(WRONG_SHAPE, fields={_field(_path(str(error))): WRONG_SHAPE}) from None
    try:
        record_id = str(uuid.UUID(record.id))
    except ValueError:
        raise InvalidInput(N_("An id must be a UUID."), fields={"id": N_("An id must be a UUID.")}) from None
    kinds: dict[type[Any], str] = {
        ClientRecord: "client",
        ScreeningRecord: "screening",
        ReferralRecord: "referral",
        FollowUpRecord: "follow_up",
    }
    kind = kinds[type(record)]
    return Checked(record_id, kind, raw["data"], record.data, record.created_at)


_AT = re.compile(r" - at `\$(?P<path>[^`]*)`$")
_MISSING = re.compile(r"^Object missing required field `(?P<name>[^`]+)`")


def _path(message: str) -> str:
    """msgspec's "Expected `str`, got `array` - at `$.data.display_name`" → "data.display_name"."""
    at = _AT.search(message)
    path = at.group("path") if at else ""
    if missing := _MISSING.match(message):
        path = f"{path}.{missing.group('name')}"
    return re.sub(r"\[[^\]]*\]", "", path).strip(".")


def _field(path: str) -> str:
    """A path inside the record as the record's data names it (the device shows it there)."""
    return path.removeprefix("data.") if path.startswith("data.") else (path or "data")


class SyncDTO(AbstractDTO[RawBatch]):
    """Decodes the body as a batch of raw records and documents it as `SyncBatch`."""

    config = DTOConfig()

    @classmethod
    def generate_field_definitions(cls, model_type: type[Any]) -> Generator[DTOFieldDefinition, None, None]:
        yield from ()

    @classmethod
    def detect_nested_field(cls, field_definition: FieldDefinition) -> bool:
        return False

    @classmethod
    def create_for_field_definition(cls, *_: Any, **__: Any) -> None:
        """Nothing to build: decoding is `decode_bytes` below."""

    @classmethod
    def create_openapi_schema(
        cls,
        field_definition: FieldDefinition,
        handler_id: str,
        schema_creator: Any,
    ) -> Any:
        return schema_creator.for_field_definition(FieldDefinition.from_annotation(SyncBatch))

    def decode_bytes(self, value: bytes) -> RawBatch:
        try:
            batch = msgspec.json.decode(value, type=_RawBatch)
        except msgspec.ValidationError:
            raise InvalidInput(WRONG_SHAPE, field="records") from None
        except msgspec.DecodeError:
            raise ClientException() from None  # not JSON: "please check what you entered"
        if len(batch.records) > MAX_RECORDS:
            raise InvalidInput(TOO_MANY, field="records")
        return RawBatch(batch.records)

    def decode_builtins(self, value: Any) -> RawBatch:
        return self.decode_bytes(msgspec.json.encode(value))
