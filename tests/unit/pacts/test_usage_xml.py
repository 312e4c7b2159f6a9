"""The usage matrix lists the fields of XML (Atom) response bodies, not just JSON ones."""

from __future__ import annotations

import pytest

from accord.pacts import PactDocument, usage_matrix

pytestmark = pytest.mark.unit

FEED = (
    '<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom" xmlns:ac="urn:accord:feed">'
    "<id>tag:x</id><link rel='self' href='/feed'/><link rel='current' href='/feed'/>"
    "<entry><id>e</id><link rel='alternate' href='/orders/1'/><ac:position>1</ac:position>"
    "</entry></feed>"
)


def pact(consumer: str, body: str) -> PactDocument:
    return PactDocument.from_json(
        {
            "consumer": {"name": consumer},
            "provider": {"name": "order"},
            "interactions": [
                {
                    "type": "Synchronous/HTTP",
                    "description": "the head",
                    "request": {"method": "GET", "path": "/feed"},
                    "response": {
                        "status": 200,
                        "body": {"content": body, "contentType": "application/atom+xml"},
                    },
                }
            ],
        }
    )


def test_xml_elements_and_attributes_become_fields_with_their_prefixes() -> None:
    matrix = usage_matrix([pact("shipping", FEED)])
    fields = matrix["http"]["order GET /feed"]["fields"]
    assert list(fields) == [
        "body.feed",
        "body.feed.entry",
        "body.feed.entry.ac:position",
        "body.feed.entry.id",
        "body.feed.entry.link",
        "body.feed.entry.link.@href",
        "body.feed.entry.link.@rel",
        "body.feed.id",
        "body.feed.link",
        "body.feed.link[*].@href",
        "body.feed.link[*].@rel",
    ]


def test_text_that_is_not_xml_has_no_fields() -> None:
    matrix = usage_matrix([pact("shipping", "<not xml")])
    assert matrix["http"]["order GET /feed"]["fields"] == {}
