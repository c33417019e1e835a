"""A sync record's data becomes the online path's body field by field (backend/sync/service.py
builds ClientIn, ScreeningIn and ConsentIn with msgspec's asdict): every field a device may send
must be one the body takes, or every such record would be rejected."""

from __future__ import annotations

from dataclasses import fields

import msgspec
import pytest

from backend.clients.service import ClientIn
from backend.referrals.service import ConsentIn
from backend.screening.service import ScreeningIn
from backend.sync.schema import ClientData, ConsentData, ScreeningData


@pytest.mark.parametrize(
    ("record", "body"), [(ClientData, ClientIn), (ScreeningData, ScreeningIn), (ConsentData, ConsentIn)]
)
def test_every_field_of_a_record_is_one_the_body_takes(record: type, body: type) -> None:
    sent = {f.name for f in msgspec.structs.fields(record)}
    assert sent and sent <= {f.name for f in fields(body)}
