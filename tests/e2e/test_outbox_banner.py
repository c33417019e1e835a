"""The outbox banner is designed (issue 17, item 2): offline it shows under the header, inside
the first screen, with room around its text, without covering the page, announced politely,
and without a "send now" button when nothing waits."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import log_in


@pytest.mark.parametrize("width", [360, 1024])
def test_offline_banner_is_seen_and_covers_nothing(e2e_server, page, width):
    page.set_viewport_size({"width": width, "height": 700})
    log_in(page, e2e_server.url, "pflege")
    page.wait_for_url(e2e_server.url + "/")
    banner = page.locator("#outbox-status")
    expect(banner).to_be_hidden()  # online, nothing waiting
    page.context.set_offline(True)
    expect(banner).to_be_visible()
    expect(banner).to_have_attribute("data-state", "offline")
    expect(banner).to_have_attribute("role", "status")
    expect(banner.locator("[data-offline]")).to_be_visible()
    expect(banner.locator("[data-sync-now]")).to_be_hidden()  # nothing to send
    box = banner.bounding_box()
    header = page.locator(".site-header").bounding_box()
    main = page.locator("main").bounding_box()
    assert box and header and main
    assert box["y"] >= header["y"] + header["height"] - 1  # under the header
    assert box["y"] + box["height"] <= 700  # inside the first screen
    assert box["y"] + box["height"] <= main["y"] + 1  # in the flow: covers no content
    text = banner.locator("[data-offline]").bounding_box()
    assert text and text["x"] >= 8  # not against the window edge
    styles = banner.evaluate(
        "e => [getComputedStyle(e).backgroundColor, getComputedStyle(document.body).backgroundColor]"
    )
    assert styles[0] != styles[1] and styles[0] != "rgba(0, 0, 0, 0)"  # it stands out
    page.context.set_offline(False)
    expect(banner).to_be_hidden()
