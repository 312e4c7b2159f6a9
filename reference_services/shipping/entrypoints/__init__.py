"""The shipping service's HTTP API."""

from __future__ import annotations

from reference_services.shipping.entrypoints.app import create_app

__all__ = ["create_app"]
