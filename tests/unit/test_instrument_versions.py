"""Which stored answers the shipped instrument can still read (instruments.serves)."""

from __future__ import annotations

import pytest

from backend.screening.instruments import serves

SHIPPED = {"id": "x", "version": "2.3.1"}


@pytest.mark.parametrize("version", ["2.3.1", "2.3.0", "2.0.0", "2.2.9"])
def test_earlier_minor_and_patch_versions_of_the_same_major_are_read(version):
    assert serves(SHIPPED, version)


@pytest.mark.parametrize("version", ["1.9.0", "3.0.0", "2.4.0", "2.3.2", "2.3", "latest", "", "2.3.1.0", "-1.0.0"])
def test_other_majors_later_versions_and_garbage_are_not(version):
    assert not serves(SHIPPED, version)
