"""The browser's rule interpreter gives the same answers as the server's, on the same vectors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from backend.screening import rules
from backend.screening.instruments import all_instruments

pytestmark = pytest.mark.e2e
VECTORS = json.loads((Path(rules.__file__).parent / "vectors.json").read_text(encoding="utf-8"))


def test_javascript_interpreter_matches_the_vectors(e2e_server, page):
    page.goto(e2e_server.url + "/login")  # a page under the real CSP: modules from 'self' only
    script_url = page.evaluate(
        "() => document.querySelector('script[type=module]').src.replace('app.js', 'rules.js')"
    )
    results = page.evaluate(
        """async ([url, vectors, instruments]) => {
            const rules = await import(url.split('?')[0]);
            return vectors.map((v) => ({
                ...rules.evaluate(instruments[v.instrument], v.answers),
                enabled: rules.enabledItems(instruments[v.instrument], v.answers),
                counted: Object.keys(rules.enabledAnswers(instruments[v.instrument], v.answers)),
            }));
        }""",
        [script_url, VECTORS, all_instruments()],
    )
    assert len(results) == len(VECTORS) >= 24
    for vector, result in zip(VECTORS, results, strict=True):
        assert result["needs"] == vector["expect"]["needs"], vector["name"]
        assert result["emergency"] == vector["expect"]["emergency"], vector["name"]
        python = rules.evaluate(all_instruments()[vector["instrument"]], vector["answers"])
        assert result["rules"] == python["rules"], vector["name"]
        # Which items apply (the ONS4 block only with the agreement) is the same in both.
        expect = vector["expect"]
        assert set(expect.get("enabled", [])) <= set(result["enabled"]), vector["name"]
        assert not set(expect.get("disabled", [])) & set(result["enabled"]), vector["name"]
        if "counted" in expect:
            assert sorted(result["counted"]) == sorted(expect["counted"]), vector["name"]


def test_instruments_api_serves_what_the_browser_evaluates(e2e_server, page):
    page.goto(e2e_server.url + "/login")
    served = page.evaluate("""async () => (await fetch('/api/v1/instruments/self-check?lang=fr')).json()""")
    assert served["language"] == "fr"
    assert served["rules"] == all_instruments()["self-check"]["rules"]
