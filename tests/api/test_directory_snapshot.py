"""GET /api/v1/directory/snapshot: the offers a tablet needs to choose from offline."""

from __future__ import annotations

import httpx


def test_snapshot_has_every_active_offer_and_revalidates_by_etag(server):
    first = httpx.get(f"{server.url}/api/v1/directory/snapshot")
    assert first.status_code == 200 and first.headers["etag"]
    offers = first.json()["offers"]
    active = server.database.execute("SELECT count(*) FROM directory_service WHERE status = 'active'")[0][0]
    assert len(offers) == active > 0
    langnau = [
        o
        for o in offers
        if "loneliness" in o["needs"]
        and any(a in o["areas"] for a in ("canton:BE", "district:EM", "municipality:902"))
    ]
    assert langnau and all(set(o) >= {"id", "name", "organization", "languages", "capacity"} for o in langnau)
    again = httpx.get(
        f"{server.url}/api/v1/directory/snapshot", headers={"If-None-Match": first.headers["etag"]}
    )
    assert again.status_code == 304 and again.content == b""
    server.database.execute(
        "UPDATE directory_service SET capacity_status = 'not_accepting' WHERE id = :s", s=langnau[0]["id"]
    )
    try:
        changed = httpx.get(
            f"{server.url}/api/v1/directory/snapshot", headers={"If-None-Match": first.headers["etag"]}
        )
        assert changed.status_code == 200 and changed.headers["etag"] != first.headers["etag"]
        assert (
            next(o for o in changed.json()["offers"] if o["id"] == langnau[0]["id"])["capacity"]
            == "not_accepting"
        )
    finally:
        server.database.execute(
            "UPDATE directory_service SET capacity_status = 'accepting' WHERE id = :s", s=langnau[0]["id"]
        )
