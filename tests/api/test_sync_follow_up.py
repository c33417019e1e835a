"""POST /api/v1/sync with `follow_up` records (issue 19): a follow-up recorded or skipped on a
tablet without network, applied once with the online path's checks; a bad one is rejected with
its reason while the rest of the batch goes through. Both databases."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest

from tests.api.test_followups import _follow_ups, _helped, _make_due_now
from tests.api.test_sync import nurse, visit
from tests.support import cli

ANSWERS = {
    "need-change:loneliness": "better",
    "offer-use:loneliness": "using",
    "what-helped:loneliness": "Der Besuchsdienst",
    "wellbeing-consent": "yes",
    "ons4-life-satisfaction": "7",
    "ons4-worthwhile": "6",
    "ons4-happy": "6",
    "ons4-anxious": "2",
    "new-needs": False,
}


@pytest.fixture(scope="module")
def token(server) -> str:
    return cli("tokens", "create", "--user", "pflege", "--name", "sync-fu", env=server.env).stdout.strip()


def record(follow_up_id: str, answers: dict | None = None, skip: str | None = None) -> dict:
    data: dict = {"follow_up_id": follow_up_id}
    if answers is not None:
        data["answers"] = answers
    if skip is not None:
        data["skip_reason"] = skip
    return {"id": str(uuid.uuid4()), "type": "follow_up", "created_at": "2026-11-30T10:00:00Z", "data": data}


def send(server, token: str, records: list[dict]) -> list[dict]:
    with nurse(server, token) as http:
        response = http.post("/api/v1/sync", json={"records": records})
    assert response.status_code == 200, response.text[:600]
    return response.json()["results"]


def _due(server, token: str, name: str) -> tuple[str, str]:
    client_id, follow_up_id = _helped(server, token, name)
    _make_due_now(server, follow_up_id)
    return client_id, follow_up_id


def _json(value):
    return value if isinstance(value, (dict, list)) else json.loads(value)


def test_recorded_once_and_a_resend_is_a_duplicate(server, token):
    client_id, follow_up_id = _due(server, token, "SF. A.")
    one = record(follow_up_id, ANSWERS)
    assert send(server, token, [one]) == [
        {"id": one["id"], "status": "accepted", "error": None, "errors": {}}
    ]
    (_, _, _, _, status, _, skip_reason, answers) = _follow_ups(server, client_id)[0]
    assert (status, skip_reason) == ("done", None)
    answers = _json(answers)
    assert answers["need-change:loneliness"] == "better" and answers["ons4-happy"] == "6"
    recorded = server.database.execute(
        "SELECT recorded_by, instrument_version FROM follow_up WHERE id = :f", f=follow_up_id
    )[0]
    assert recorded[0] is not None and recorded[1]
    updates = "SELECT count(*) FROM audit_event WHERE subject_type = 'follow_up' AND subject_id = :f AND action = 'update'"
    assert server.database.execute(updates, f=follow_up_id)[0][0] == 1
    stored = server.database.execute(
        "SELECT type, device_created_at FROM sync_record WHERE id = :i", i=one["id"]
    )
    assert len(stored) == 1 and stored[0][0] == "follow_up" and stored[0][1] is not None

    assert send(server, token, [one])[0]["status"] == "duplicate"
    assert server.database.execute(updates, f=follow_up_id)[0][0] == 1  # applied once
    with nurse(server, token) as http:
        due = {f["id"] for f in http.get("/api/v1/follow-ups", params={"due": "1"}).json()}
    assert follow_up_id not in due

    # A second record for the follow-up now done: rejected with the reason.
    later = send(server, token, [record(follow_up_id, ANSWERS)])[0]
    assert later["status"] == "rejected"
    assert "bereits erfasst oder ausgelassen" in later["error"]


def test_skipped_with_a_reason(server, token):
    client_id, follow_up_id = _due(server, token, "SF. B.")
    bogus, good = record(follow_up_id, skip="bored"), record(follow_up_id, skip="moved")
    results = send(server, token, [bogus])
    assert results[0]["status"] == "rejected"
    assert results[0]["error"] == "Wählen Sie, warum nicht nachgefragt wird."
    assert _follow_ups(server, client_id)[0][4] == "due"
    assert send(server, token, [good])[0]["status"] == "accepted"
    row = _follow_ups(server, client_id)[0]
    assert (row[4], row[6]) == ("skipped", "moved")


def test_invalid_answers_are_rejected_and_the_rest_of_the_batch_goes_through(server, token):
    client_id, follow_up_id = _due(server, token, "SF. C.")
    wrong = record(follow_up_id, {**ANSWERS, "need-change:loneliness": "bogus"})
    both = record(follow_up_id, ANSWERS, skip="moved")
    shape = {"id": str(uuid.uuid4()), "type": "follow_up", "data": {"answers": {}}}
    records = [wrong, both, shape, *visit(server, "SF. Visit")]
    results = send(server, token, records)  # in the nurse's language
    assert [r["status"] for r in results] == [
        "rejected",
        "rejected",
        "rejected",
        "accepted",
        "accepted",
        "accepted",
    ]
    assert results[0]["error"] == "Einige Antworten passen nicht zu ihrer Frage. Bitte prüfen Sie sie."
    assert "need-change:loneliness" in results[0]["errors"]
    assert results[1]["errors"] == {
        "skip_reason": "Eine Nachfrage wird entweder erfasst oder ausgelassen, nicht beides."
    }
    assert "follow_up_id" in results[2]["errors"]
    assert _follow_ups(server, client_id)[0][4] == "due"
    fixed = record(follow_up_id, ANSWERS)
    assert send(server, token, [fixed])[0]["status"] == "accepted"


def test_unknown_or_another_organisations_follow_up_is_rejected(server, token):
    client_id, follow_up_id = _due(server, token, "SF. D.")
    other = cli(
        "tokens", "create", "--user", "spital", "--name", "sync-fu-other", env=server.env
    ).stdout.strip()
    theirs = send(server, other, [record(follow_up_id, ANSWERS)])[0]
    assert theirs["status"] == "rejected"
    assert theirs["error"] == "Diese Nachfrage gibt es in Ihrer Organisation nicht."
    assert _follow_ups(server, client_id)[0][4] == "due"
    unknown = send(server, token, [record(str(uuid.uuid4()), ANSWERS)])[0]
    assert unknown["status"] == "rejected" and unknown["error"] == theirs["error"]


def test_the_openapi_document_shows_the_record_type(server):
    schema = httpx.get(f"{server.url}/schema/openapi.json").json()
    text = json.dumps(schema)
    assert "FollowUpRecord" in text and "FollowUpData" in text
    assert '"follow_up"' in text


def test_the_offline_follow_up_page_is_public_and_in_french(server):
    page = httpx.get(f"{server.url}/offline/fr/follow-up")
    assert page.status_code == 200
    assert "Suivi sans réseau" in page.text
    # Every need's repeated questions are on the page (the script shows the follow-up's own).
    assert 'name="a-need-change:loneliness"' in page.text and 'name="a-need-change:housing"' in page.text
    assert "public" in page.headers["cache-control"]
    assert "/offline/fr/follow-up" in httpx.get(f"{server.url}/sw.js").text  # precached


def _moment(value) -> datetime:
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _created_days_ago(server, follow_up_id: str, days: int) -> datetime:
    """The follow-up made `days` ago (its referral closed then), whole seconds."""
    created = (datetime.now(UTC) - timedelta(days=days)).replace(microsecond=0)
    server.database.execute(
        "UPDATE follow_up SET created_at = :t WHERE id = :f", t=created.isoformat(" "), f=follow_up_id
    )
    return created


def _recorded_at(server, follow_up_id: str) -> datetime:
    row = server.database.execute("SELECT recorded_at FROM follow_up WHERE id = :f", f=follow_up_id)
    return _moment(row[0][0])


def _outcomes(server, month: str, change: str) -> int:
    rows = server.database.execute(
        "SELECT coalesce(sum(count), 0) FROM report_outcome_tally "
        "WHERE month = :m AND need_domain = 'loneliness' AND change = :c",
        m=month,
        c=change,
    )
    return int(rows[0][0])


def _month(moment: datetime) -> str:
    return moment.astimezone(ZoneInfo("Europe/Zurich")).strftime("%Y-%m")


def test_recorded_at_is_when_the_nurse_recorded_it_on_the_device(server, token):
    """Recorded offline 40 days ago (and sent only now): the follow-up and the report's tally
    carry that day, not the day of the sync."""
    _, follow_up_id = _due(server, token, "SF. E.")
    _created_days_ago(server, follow_up_id, 60)
    asked = (datetime.now(UTC) - timedelta(days=40)).replace(microsecond=0)
    before = {
        month: _outcomes(server, month, "worse") for month in {_month(asked), _month(datetime.now(UTC))}
    }
    one = {
        **record(follow_up_id, {**ANSWERS, "need-change:loneliness": "worse"}),
        "created_at": asked.isoformat(),
    }
    assert send(server, token, [one])[0]["status"] == "accepted"
    assert _recorded_at(server, follow_up_id) == asked
    assert _outcomes(server, _month(asked), "worse") == before[_month(asked)] + 1
    if _month(asked) != _month(datetime.now(UTC)):
        assert _outcomes(server, _month(datetime.now(UTC)), "worse") == before[_month(datetime.now(UTC))]

    # A skip recorded offline is dated the same way.
    _, skipped_id = _due(server, token, "SF. F.")
    _created_days_ago(server, skipped_id, 60)
    skipped = {**record(skipped_id, skip="moved"), "created_at": asked.isoformat().replace("+00:00", "Z")}
    assert send(server, token, [skipped])[0]["status"] == "accepted"
    assert _recorded_at(server, skipped_id) == asked


@pytest.mark.parametrize(
    "device_time",
    [
        "in the future",  # a clock ahead: the follow-up was not recorded after it reached us
        "before it existed",  # a clock behind: nobody took it along before the referral closed
        "without a time zone",  # a moment that cannot be placed
        None,
    ],
)
def test_a_device_time_the_server_knows_is_wrong_gives_the_time_of_the_sync(server, token, device_time):
    _, follow_up_id = _due(server, token, f"SF. G. {device_time}")
    created = _created_days_ago(server, follow_up_id, 30)
    given = {
        "in the future": (datetime.now(UTC) + timedelta(hours=2)).isoformat(),
        "before it existed": (created - timedelta(days=1)).isoformat(),
        "without a time zone": (created + timedelta(days=1)).replace(tzinfo=None).isoformat(),
        None: None,
    }[device_time]
    one = {**record(follow_up_id, ANSWERS), "created_at": given}
    sent = datetime.now(UTC)
    assert send(server, token, [one])[0]["status"] == "accepted"
    recorded = _recorded_at(server, follow_up_id)
    assert sent - timedelta(seconds=1) <= recorded <= datetime.now(UTC)


def test_a_rejected_record_corrected_under_its_id_is_stored_once(server, token):
    """The server keeps nothing of a rejected record, not even its id: the device resends the
    corrected one under the same id (exactly once from then on, as any record)."""
    client_id, follow_up_id = _due(server, token, "SF. H.")
    wrong = record(follow_up_id, {**ANSWERS, "need-change:loneliness": "bogus"})
    assert send(server, token, [wrong])[0]["status"] == "rejected"
    received = "SELECT count(*) FROM sync_record WHERE id = :i"
    assert server.database.execute(received, i=wrong["id"])[0][0] == 0
    fixed = {**wrong, "data": {**wrong["data"], "answers": ANSWERS}}
    assert send(server, token, [fixed])[0]["status"] == "accepted"
    assert send(server, token, [fixed])[0]["status"] == "duplicate"
    assert send(server, token, [wrong])[0]["status"] == "rejected"  # the old content: changed
    assert server.database.execute(received, i=wrong["id"])[0][0] == 1
    updates = "SELECT count(*) FROM audit_event WHERE subject_type = 'follow_up' AND subject_id = :f AND action = 'update'"
    assert server.database.execute(updates, f=follow_up_id)[0][0] == 1
    assert _json(_follow_ups(server, client_id)[0][7])["need-change:loneliness"] == "better"
