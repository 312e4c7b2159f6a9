"""The exceptions accord raises.

Every error derives from :class:`AccordError`. Violations of a contract or an SLA also derive
from :class:`AssertionError`, so pytest reports them as test failures rather than errors.
Input a person gave us that we cannot use raises :class:`UsageError`; the CLI turns it into
one line on stderr and exit code 2.
"""

from __future__ import annotations

__all__ = ["AccordError", "BrokerError", "UsageError", "ViolationError"]


class AccordError(Exception):
    """Base class of every error accord raises on purpose."""


class UsageError(AccordError):
    """Input from a user that accord cannot use (bad option, unreadable file, bad line).

    The message is one line that says what is wrong, where, and what to do next.
    """


class BrokerError(AccordError):
    """A broker could not be started, reached or stopped."""


class ViolationError(AccordError, AssertionError):
    """A promise the system made was broken (schema, contract or SLA).

    Subclasses carry structured fields so that reports and pytest output can name the event
    type, key, location and limit involved.
    """
