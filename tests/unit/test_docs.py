"""The README stays true: every setting documented, the two commands at the top."""

from __future__ import annotations

import dataclasses
import re

from backend.settings import Settings
from tests.support import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_every_setting_is_in_the_readme():
    for field in dataclasses.fields(Settings):
        doc = Settings.__dataclass_fields__[field.name]
        names = re.findall(r"\b[A-Z][A-Z_]{2,}\b", _field_doc(field.name))
        assert names, f"settings.{field.name} has no documented variable"
        for name in names:
            assert f"`{name}`" in README, f"{name} is not documented in README.md"
        assert doc is not None


def _field_doc(name: str) -> str:
    source = (ROOT / "backend" / "settings.py").read_text()
    match = re.search(rf"    {name}: [^\n]+\n    \"\"\"([^\"]+)\"\"\"", source)
    assert match, f"settings.{name} needs a docstring naming its variable"
    return match.group(1).split(":")[0]


def test_the_two_commands_come_first():
    head = README[:1500]
    assert "make run" in head and "make test" in head


def test_vendored_htmx_version_is_documented():
    vendored = list((ROOT / "frontend" / "static" / "vendor" / "htmx").glob("htmx-*.min.js"))
    assert len(vendored) == 1
    version = vendored[0].name.removeprefix("htmx-").removesuffix(".min.js")
    assert f"htmx {version}" in README
    assert (vendored[0].parent / "LICENSE").exists()
