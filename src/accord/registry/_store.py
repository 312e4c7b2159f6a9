"""Registry storage: a directory (atomic file writes, an fcntl-locked index) or a git repository."""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import random
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from accord.errors import AccordError, UsageError
from accord.registry._index import (
    Decision,
    PactForVerification,
    can_i_deploy,
    empty_index,
    pacts_for_verification,
)

__all__ = ["DirectoryRegistry", "GitRegistry", "Registry", "RegistryError", "open_registry"]

INDEX = "registry.json"
LOCK = ".registry.lock"


class RegistryError(AccordError):
    """The registry could not be read or written (corrupt index, git push refused...)."""


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical(data: Any) -> bytes:
    """The bytes a document is stored and hashed as (sorted keys, two-space indent)."""
    return (json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode()


def _atomic_write(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so readers see the old or the new file, never half of one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


class Registry:
    """A versioned contract registry: pacts, event schemas, verification results and
    deployments, keyed by pacticipant, version, branch and environment.

    Use :func:`open_registry` to get one; use it as a context manager (a git registry keeps
    a working clone while open).
    """

    root: Path

    # -- storage, overridden by the git flavour -------------------------------------------
    def _apply(self, message: str, change: Callable[[dict[str, Any]], None]) -> None:
        """Read the index, apply ``change`` and write it back, all under the index lock."""
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.root / LOCK, "a+b") as lock:
            fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
            try:
                index = self._read_index()
                change(index)
                _atomic_write(self.root / INDEX, canonical(index))
            finally:
                fcntl.flock(lock.fileno(), fcntl.LOCK_UN)

    def _read_index(self) -> dict[str, Any]:
        path = self.root / INDEX
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            return empty_index()
        try:
            data = json.loads(raw)
        except ValueError as exc:
            raise RegistryError(
                f"{path}: registry index is not JSON ({exc}); restore it from version control"
            ) from None
        if not isinstance(data, dict) or data.get("format") != 1:
            raise RegistryError(f"{path}: not an accord registry index (format 1)")
        return data

    def close(self) -> None:
        """Release resources (a git registry's working clone)."""

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- blobs ---------------------------------------------------------------------------
    def _put_blob(self, data: Any) -> str:
        raw = canonical(data)
        sha = hashlib.sha256(raw).hexdigest()
        path = self.blob_path(sha)
        if not path.exists():
            _atomic_write(path, raw)
        return sha

    def blob_path(self, sha: str) -> Path:
        """Where the document with this SHA-256 is stored."""
        return self.root / "blobs" / sha[:2] / f"{sha}.json"

    def read_blob(self, sha: str) -> Any:
        """The stored document with this SHA-256."""
        try:
            return json.loads(self.blob_path(sha).read_bytes())
        except FileNotFoundError:
            raise RegistryError(
                f"{self.root}: blob {sha} is missing; the registry is incomplete, publish again"
            ) from None

    # -- writes ----------------------------------------------------------------------------
    @staticmethod
    def _add_version(index: dict[str, Any], pacticipant: str, version: str, branch: str) -> None:
        for record in index["versions"]:
            if record["pacticipant"] == pacticipant and record["version"] == version:
                if branch and not record.get("branch"):
                    record["branch"] = branch
                return
        index["seq"] += 1
        index["versions"].append(
            {
                "pacticipant": pacticipant,
                "version": version,
                "branch": branch,
                "createdAt": _now(),
                "seq": index["seq"],
            }
        )

    def publish(
        self,
        pacticipant: str,
        version: str,
        *,
        branch: str = "",
        pacts: Sequence[Mapping[str, Any]] = (),
        schemas: Sequence[Mapping[str, Any]] = (),
    ) -> list[str]:
        """Store a pacticipant version's pacts and event schemas; returns what was stored.

        Raises:
            UsageError: when a pact's consumer is not ``pacticipant``.
        """
        for pact in pacts:
            consumer = pact.get("consumer", {}).get("name")
            if consumer != pacticipant:
                raise UsageError(
                    f"pact {consumer}-{pact.get('provider', {}).get('name')} belongs to "
                    f"consumer {consumer!r}, not {pacticipant!r}; publish it as --pacticipant "
                    f"{consumer}"
                )
        blobs = [(p, self._put_blob(p)) for p in pacts]
        schema_blobs = [(s, self._put_blob(s)) for s in schemas]
        stored: list[str] = []

        def change(index: dict[str, Any]) -> None:
            stored.clear()
            self._add_version(index, pacticipant, version, branch)
            for pact, sha in blobs:
                provider = str(pact["provider"]["name"])
                index["seq"] += 1
                index["pacts"].append(
                    {
                        "consumer": pacticipant,
                        "consumerVersion": version,
                        "branch": branch,
                        "provider": provider,
                        "sha": sha,
                        "publishedAt": _now(),
                        "seq": index["seq"],
                    }
                )
                stored.append(f"pact {pacticipant} -> {provider} ({sha[:12]})")
            for schema, sha in schema_blobs:
                index["seq"] += 1
                index["schemas"].append(
                    {
                        "pacticipant": pacticipant,
                        "version": version,
                        "branch": branch,
                        "id": str(schema.get("$id", "")),
                        "sha": sha,
                        "publishedAt": _now(),
                        "seq": index["seq"],
                    }
                )
                stored.append(f"schema {schema.get('$id', '?')} ({sha[:12]})")

        self._apply(f"publish {pacticipant} {version}", change)
        return stored

    def record_verification(
        self,
        *,
        provider: str,
        provider_version: str,
        provider_branch: str = "",
        consumer: str,
        consumer_version: str,
        sha: str,
        success: bool,
        pending: bool = False,
        mismatches: Sequence[Mapping[str, Any]] = (),
    ) -> None:
        """Store the result of verifying one pact with one provider version."""

        def change(index: dict[str, Any]) -> None:
            self._add_version(index, provider, provider_version, provider_branch)
            index["seq"] += 1
            index["verifications"].append(
                {
                    "provider": provider,
                    "providerVersion": provider_version,
                    "providerBranch": provider_branch,
                    "consumer": consumer,
                    "consumerVersion": consumer_version,
                    "pactSha": sha,
                    "success": success,
                    "pending": pending,
                    "mismatches": [dict(m) for m in mismatches],
                    "verifiedAt": _now(),
                    "seq": index["seq"],
                }
            )

        self._apply(f"verify {provider} {provider_version}", change)

    def record_deployment(self, pacticipant: str, version: str, environment: str) -> None:
        """Record that ``version`` is now what runs in ``environment``.

        Raises:
            UsageError: when the version is unknown to the registry.
        """

        def change(index: dict[str, Any]) -> None:
            if not any(
                v["pacticipant"] == pacticipant and v["version"] == version
                for v in index["versions"]
            ):
                raise UsageError(
                    f"{pacticipant} {version} is not in the registry {self.root}; publish its "
                    "pacts or verify it before recording a deployment"
                )
            index["seq"] += 1
            index["deployments"].append(
                {
                    "pacticipant": pacticipant,
                    "version": version,
                    "environment": environment,
                    "deployedAt": _now(),
                    "seq": index["seq"],
                }
            )

        self._apply(f"deploy {pacticipant} {version} to {environment}", change)

    # -- reads -----------------------------------------------------------------------------
    def index(self) -> dict[str, Any]:
        """A consistent snapshot of the whole index."""
        return self._read_index()

    def pacts_for_verification(self, provider: str) -> list[PactForVerification]:
        """The pacts ``provider`` must satisfy (see :func:`pacts_for_verification`)."""
        return pacts_for_verification(self._read_index(), provider)

    def can_i_deploy(self, pacticipant: str, version: str, environment: str) -> Decision:
        """Answer from the verification matrix (see :func:`can_i_deploy`)."""
        return can_i_deploy(self._read_index(), pacticipant, version, environment)


class DirectoryRegistry(Registry):
    """A registry in a plain directory (shared file system, CI artifact, ...)."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        if self.root.exists() and not self.root.is_dir():
            raise UsageError(f"{self.root}: registry path is a file, not a directory")

    def __repr__(self) -> str:
        return f"DirectoryRegistry({str(self.root)!r})"


def _git(args: Sequence[str], cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "GIT_TERMINAL_PROMPT": "0"}
    env.setdefault("GIT_AUTHOR_NAME", "accord")
    env.setdefault("GIT_AUTHOR_EMAIL", "accord@localhost")
    env.setdefault("GIT_COMMITTER_NAME", env["GIT_AUTHOR_NAME"])
    env.setdefault("GIT_COMMITTER_EMAIL", env["GIT_AUTHOR_EMAIL"])
    return subprocess.run(
        ["git", *args], cwd=cwd, env=env, capture_output=True, text=True, check=False
    )


class GitRegistry(Registry):
    """A registry in a git repository (``git+file:///srv/contracts.git``).

    It works in a private clone; each write commits and pushes, and a push that lost the race
    against another publisher is retried on top of the new remote head (optimistic
    concurrency; the remote's history is the audit log). A missing local repository is
    created bare.
    """

    branch = "main"

    def __init__(self, url: str, *, attempts: int = 30) -> None:
        self.url = url
        self.remote = url.removeprefix("git+")
        self.attempts = attempts
        if self.remote.startswith("file://"):
            path = Path(self.remote.removeprefix("file://"))
            if not path.exists():
                self._create_bare(path)
        self._tmp = Path(tempfile.mkdtemp(prefix="accord-registry-"))
        self.root = self._tmp / "clone"
        self._check(_git(["clone", "--quiet", self.remote, str(self.root)]), f"clone {self.remote}")
        _git(["checkout", "--quiet", "-B", self.branch], cwd=self.root)
        self._sync()

    def __repr__(self) -> str:
        return f"GitRegistry({self.url!r})"

    def _create_bare(self, path: Path) -> None:
        """Create the bare repository; safe when another publisher creates it at once
        (initialise beside it, then an atomic rename that only the first one wins)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{path.name}.", dir=path.parent))
        try:
            self._check(
                _git(["init", "--quiet", "--bare", "--initial-branch", self.branch, str(staging)]),
                "create the registry repository",
            )
            with contextlib.suppress(OSError):  # someone else created it first
                os.rename(staging, path)
        finally:
            shutil.rmtree(staging, ignore_errors=True)

    @staticmethod
    def _check(proc: subprocess.CompletedProcess[str], what: str) -> None:
        if proc.returncode != 0:
            detail = (proc.stderr or proc.stdout).strip().splitlines()
            raise RegistryError(f"git: cannot {what}: {detail[-1] if detail else proc.returncode}")

    def _sync(self) -> None:
        fetch = _git(["fetch", "--quiet", "origin"], cwd=self.root)
        self._check(fetch, f"fetch {self.remote}")
        has_remote = _git(
            ["rev-parse", "--verify", "--quiet", f"origin/{self.branch}"], cwd=self.root
        )
        if has_remote.returncode == 0:
            # Our clone is private: discarding its state for the remote head is safe.
            self._check(
                _git(["reset", "--quiet", "--hard", f"origin/{self.branch}"], cwd=self.root),
                "update the working clone",
            )

    def _apply(self, message: str, change: Callable[[dict[str, Any]], None]) -> None:
        # Optimistic concurrency: apply on the remote head, commit, push; when another
        # publisher pushed first, start again from their head. Blobs are untracked files
        # until committed, and `reset --hard` keeps untracked files, so they survive a retry.
        for attempt in range(self.attempts):
            self._sync()
            index = self._read_index()
            change(index)
            _atomic_write(self.root / INDEX, canonical(index))
            self._check(_git(["add", "-A"], cwd=self.root), "stage the registry change")
            commit = _git(["commit", "--quiet", "-m", f"accord: {message}"], cwd=self.root)
            if commit.returncode != 0 and "nothing to commit" not in commit.stdout:
                self._check(commit, "commit the registry change")
            push = _git(
                ["push", "--quiet", "origin", f"HEAD:refs/heads/{self.branch}"], cwd=self.root
            )
            if push.returncode == 0:
                return
            # Back off a little, randomly, so racing publishers stop colliding.
            time.sleep(random.uniform(0.0, 0.05 * min(attempt + 1, 10)))
        raise RegistryError(
            f"git: could not push to {self.remote} after {self.attempts} attempts (other "
            "publishers kept winning); retry"
        )

    def index(self) -> dict[str, Any]:
        self._sync()
        return self._read_index()

    def pacts_for_verification(self, provider: str) -> list[PactForVerification]:
        self._sync()
        return super().pacts_for_verification(provider)

    def can_i_deploy(self, pacticipant: str, version: str, environment: str) -> Decision:
        self._sync()
        return super().can_i_deploy(pacticipant, version, environment)

    def close(self) -> None:
        shutil.rmtree(self._tmp, ignore_errors=True)


def open_registry(spec: str | Path, *, must_exist: bool = False) -> Registry:
    """Open a registry: a directory path, or ``git+file://PATH`` (any git URL after ``git+``).

    Args:
        spec: where the registry is.
        must_exist: for commands that only read (can-i-deploy, verify): a directory that does
            not exist is a typo, not an empty registry.

    Raises:
        UsageError: when ``spec`` is empty, or names no directory while ``must_exist``.
    """
    text = str(spec)
    if not text:
        raise UsageError("no registry given: pass --registry DIR or --registry git+file://PATH")
    if text.startswith("git+"):
        return GitRegistry(text)
    if must_exist and not Path(text).is_dir():
        raise UsageError(
            f"{text}: no such registry directory; publish to it first or check --registry"
        )
    return DirectoryRegistry(text)
