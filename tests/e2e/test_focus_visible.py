"""Focus is visible on every focusable element (WCAG 2.4.7), and `hidden` always hides.

Tabs through each page type as a keyboard user would and checks, for every element that gets
focus, that it shows an indicator (an outline or a box shadow) that no ancestor's overflow cuts
off. The header's language buttons were the case that failed (issue 20, item 1)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from tests.e2e.helpers import log_in

MAX_TABS = 60

# What the focused element shows, and which ancestor (if any) clips its indicator.
FOCUSED = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const cs = getComputedStyle(el);
  const width = parseFloat(cs.outlineWidth) || 0;
  const outline = cs.outlineStyle !== "none" && width > 0;
  const shadow = Boolean(cs.boxShadow) && cs.boxShadow !== "none";
  const reach = outline ? width + Math.max(0, parseFloat(cs.outlineOffset) || 0) : 0;
  const r = el.getBoundingClientRect();
  let clippedBy = null;
  for (let a = el.parentElement; a && a !== document.documentElement; a = a.parentElement) {
    const s = getComputedStyle(a);
    const clips = [s.overflowX, s.overflowY].some((v) => v !== "visible");
    if (!clips) continue;
    const box = a.getBoundingClientRect();
    if (r.left - reach < box.left - 0.5 || r.top - reach < box.top - 0.5 ||
        r.right + reach > box.right + 0.5 || r.bottom + reach > box.bottom + 0.5) {
      clippedBy = a.tagName.toLowerCase() + (a.className ? "." + String(a.className).split(" ")[0] : "");
      break;
    }
  }
  const name = (el.getAttribute("aria-label") || el.textContent || el.getAttribute("name") || "").trim();
  return {what: el.tagName.toLowerCase() + " “" + name.slice(0, 40) + "”", indicator: outline || shadow, clippedBy,
          key: el.tagName + "|" + name + "|" + Math.round(r.left) + "," + Math.round(r.top)};
}"""

HIDDEN_SHOWN = """() => [...document.querySelectorAll("[hidden]")]
  .filter((e) => getComputedStyle(e).display !== "none")
  .map((e) => e.tagName.toLowerCase() + " " + (e.textContent || "").trim().slice(0, 40))"""


def tab_through(page: Page) -> list[str]:
    """Problems met while tabbing from the top of the page until focus comes round again."""
    problems: list[str] = []
    seen: set[str] = set()
    page.locator("body").click(position={"x": 1, "y": 1})
    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUSED)
        if focused is None:
            continue
        if focused["key"] in seen:
            break
        seen.add(focused["key"])
        if not focused["indicator"]:
            problems.append(f"{focused['what']}: no focus indicator")
        if focused["clippedBy"]:
            problems.append(f"{focused['what']}: indicator cut off by {focused['clippedBy']}")
    assert seen, "nothing took focus"
    return problems


PAGES = {
    None: ["/login", "/check/de", "/check/fr"],
    "pflege": ["/", "/directory", "/clients", "/referrals", "/settings/notifications"],
    "koordination": ["/inbox", "/"],
}


@pytest.mark.parametrize("user", list(PAGES), ids=lambda u: u or "anonymous")
@pytest.mark.parametrize("width", [360, 1280])
def test_every_focused_element_shows_where_focus_is(e2e_server, page, user, width):
    page.set_viewport_size({"width": width, "height": 800})
    if user:
        log_in(page, e2e_server.url, user)
        page.wait_for_url(e2e_server.url + "/")
    problems = {}
    for path in PAGES[user]:
        page.goto(e2e_server.url + path)
        found = tab_through(page)
        if found:
            problems[path] = found
    assert not problems, problems


def test_the_current_language_button_shows_focus(e2e_server, page):
    page.goto(e2e_server.url + "/login")
    current = page.locator(".language-switcher button.current")
    current.focus()
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Tab")  # keyboard focus, so :focus-visible applies
    focused = page.evaluate(FOCUSED)
    assert focused and focused["indicator"] and not focused["clippedBy"], focused


@pytest.mark.parametrize(
    "user,path", [("pflege", "/settings/notifications"), ("pflege", "/"), (None, "/check/de")]
)
def test_hidden_controls_stay_hidden(e2e_server, page, user, path):
    """`.button { display: inline-flex }` once overrode `hidden`: with no device registered, the
    notification page showed on, off and test at once (issue 17, item 1)."""
    if user:
        log_in(page, e2e_server.url, user)
        page.wait_for_url(e2e_server.url + "/")
    page.goto(e2e_server.url + path)
    page.wait_for_load_state("networkidle")
    assert page.evaluate(HIDDEN_SHOWN) == []
    if path == "/settings/notifications":
        # Headless Chromium has no push service: at most "turn on" may show, never off or test.
        assert not page.get_by_role("button", name="Testbenachrichtigung senden").is_visible()
        assert not page.get_by_role("button", name="Benachrichtigungen ausschalten").is_visible()


def test_the_audit_table_scrolls_by_keyboard_at_360(e2e_server, page):
    """axe's scrollable-region-focusable on /admin/audit at 360 px (issue 20, item 9)."""
    from tests.e2e.helpers import serious_violations

    page.set_viewport_size({"width": 360, "height": 800})
    log_in(page, e2e_server.url, "pflege")
    page.wait_for_url(e2e_server.url + "/")
    page.goto(e2e_server.url + "/clients")
    link = page.locator("main a", has_text="H. M.").first
    client_path = link.get_attribute("href")
    link.click()  # a view of personal data: one audit row at least
    page.wait_for_url(e2e_server.url + client_path)
    page.context.clear_cookies()
    log_in(page, e2e_server.url, "admin")
    page.wait_for_url(e2e_server.url + "/")
    page.goto(e2e_server.url + "/admin/audit?subject=" + client_path.rsplit("/", 1)[1])
    region = page.get_by_role("region", name="Zugriffsprotokoll")
    assert region.get_attribute("tabindex") == "0"
    assert serious_violations(page) == []


# How an element looks apart from its colours: what forced colours keep.
SHAPE = """e => { const s = getComputedStyle(e);
  return [s.textDecorationLine, s.borderTopWidth, s.borderBottomWidth].join(" "); }"""


@pytest.mark.parametrize(
    "user,path,current,other",
    [
        (None, "/login", ".language-switcher button.current", ".language-switcher button:not(.current)"),
        (None, "/check/fr", ".check-languages .button.current", ".check-languages .button:not(.current)"),
        ("koordination", "/inbox", ".tabs a[aria-current=page]", ".tabs a:not([aria-current])"),
    ],
)
def test_the_current_item_is_marked_beyond_colour_in_forced_colours(
    e2e_server, page, user, path, current, other
):
    """Issue 20, item 7: the current tab and language differed only by colour or weight."""
    page.emulate_media(forced_colors="active")
    if user:
        log_in(page, e2e_server.url, user)
        page.wait_for_url(e2e_server.url + "/")
    page.goto(e2e_server.url + path)
    assert page.evaluate("() => matchMedia('(forced-colors: active)').matches")
    mine = page.locator(current).first.evaluate(SHAPE)
    theirs = page.locator(other).first.evaluate(SHAPE)
    assert mine != theirs, (mine, theirs)
    page.screenshot(path=f"test-artifacts/forced-colours-{path.strip('/').replace('/', '-')}.png")
