"""Atom feeds as a transport: a conformance check of the feeds a system serves.

:func:`check_feed` reads a feed twice, from its head back to the oldest archive page, and
reports every way it breaks RFC 4287 (required elements), RFC 5005 (archive links, pages
that never change), HTTP caching (validators, 304 on an unchanged conditional GET) and the
event contracts (each entry's CloudEvent against the schemas). ``accord atom check`` prints
its report. Reading feeds as events is :class:`accord.sources.AtomSource`.
"""

from __future__ import annotations

from accord.atom._check import CHECKS, FeedCheckReport, Finding, check_feed

__all__ = ["CHECKS", "FeedCheckReport", "Finding", "check_feed"]
