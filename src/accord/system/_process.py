from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO

import requests
from tenacity import Retrying, retry_if_exception_type, stop_after_delay, wait_fixed

from accord._durations import format_duration
from accord._process import die_with_parent
from accord.broker import wait_for_port_closed
from accord.errors import AccordError

_LOG_TAIL_LINES = 20


class ServiceError(AccordError):
    """A reference service could not be started, did not become healthy, or died.

    Attributes:
        service: the service's name (``order``, ``shipping``, ``invoicing``).
        log_path: the service's log file.
    """

    def __init__(self, service: str, message: str, log_path: Path | None = None) -> None:
        super().__init__(message)
        self.service = service
        self.log_path = log_path


class _NotReady(Exception):
    pass


def log_tail(path: Path, lines: int = _LOG_TAIL_LINES) -> str:
    """The last ``lines`` lines of a log file, or a note that it is empty or unreadable."""
    try:
        with path.open("rb") as log:
            log.seek(0, os.SEEK_END)
            size = log.tell()
            log.seek(max(0, size - 16384))
            text = log.read().decode(errors="replace")
    except OSError as exc:
        return f"(cannot read {path}: {exc})"
    tail = text.splitlines()[-lines:]
    return "\n".join(tail) if tail else "(log is empty)"


class ServiceProcess:
    """One service as a child process with a log file and an HTTP health endpoint.

    The child runs in its own session, so a Ctrl-C on the terminal reaches only us and we
    stop it in order; it also gets SIGTERM from the kernel if we die without cleaning up.

    Args:
        name: the service's name, used in messages.
        command: the command line to run.
        port: the 127.0.0.1 port the service listens on.
        log_path: where its stdout and stderr go (appended).
        env: extra environment variables.
        health_path: the path that answers 200 once the service is ready.
    """

    def __init__(
        self,
        name: str,
        command: Sequence[str],
        port: int,
        log_path: Path,
        env: Mapping[str, str] | None = None,
        health_path: str = "/health",
    ) -> None:
        self.name = name
        self.command = list(command)
        self.port = port
        self.log_path = log_path
        self.url = f"http://127.0.0.1:{port}"
        self._env = dict(env or {})
        self._health_url = self.url + health_path
        self._process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    @property
    def pid(self) -> int | None:
        """The child's PID while it runs."""
        return self._process.pid if self._process else None

    def spawn(self) -> None:
        """Start the child process without waiting for it to be ready."""
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = self.log_path.open("ab")
        env = {**os.environ, "PYTHONUNBUFFERED": "1", **self._env}
        try:
            self._process = subprocess.Popen(
                self.command,
                stdin=subprocess.DEVNULL,
                stdout=self._log,
                stderr=subprocess.STDOUT,
                env=env,
                start_new_session=True,
                preexec_fn=die_with_parent,
            )
        except OSError as exc:
            self._log.close()
            self._log = None
            raise ServiceError(
                self.name, f"cannot start the {self.name} service ({exc}): {self.command[0]}"
            ) from exc

    def exit_code(self) -> int | None:
        """The child's exit code once it has exited, else None."""
        return self._process.poll() if self._process else None

    def check_alive(self) -> None:
        """Raise :class:`ServiceError` with the log's tail if the child has exited."""
        code = self.exit_code()
        if code is not None:
            raise ServiceError(
                self.name,
                f"the {self.name} service exited with code {code}; "
                f"last lines of {self.log_path}:\n{log_tail(self.log_path)}",
                self.log_path,
            )

    def wait_healthy(self, timeout_s: float) -> None:
        """Poll the health endpoint until it answers 200, the child dies, or time runs out."""

        def probe() -> None:
            self.check_alive()
            try:
                response = requests.get(self._health_url, timeout=1.0)
            except requests.RequestException as exc:
                raise _NotReady(str(exc)) from None
            if response.status_code != 200:
                raise _NotReady(f"HTTP {response.status_code}: {response.text[:200]}")

        try:
            for attempt in Retrying(
                stop=stop_after_delay(timeout_s),
                wait=wait_fixed(0.1),
                retry=retry_if_exception_type(_NotReady),
                reraise=True,
            ):
                with attempt:
                    probe()
        except _NotReady as exc:
            raise ServiceError(
                self.name,
                f"the {self.name} service at {self.url} was not healthy within "
                f"{format_duration(timeout_s)} (last answer: {exc}); "
                f"last lines of {self.log_path}:\n"
                f"{log_tail(self.log_path)}",
                self.log_path,
            ) from None

    def healthy(self, timeout_s: float = 0.5) -> bool:
        """One probe: does the health endpoint answer 200 now?"""
        if self.exit_code() is not None:
            return False
        try:
            return requests.get(self._health_url, timeout=timeout_s).status_code == 200
        except requests.RequestException:
            return False

    def respawn(self) -> None:
        """Start the child again, with the same command and port, after it exited.

        Reaps the old child, kills what is left of its process group and waits until its
        port is free.

        Raises:
            ServiceError: the child is still running, or it cannot be started.
        """
        process = self._process
        if process is not None and process.poll() is None:
            raise ServiceError(self.name, f"the {self.name} service is still running")
        self._release(process)
        self._wait_port_closed(5.0)
        self.spawn()

    def terminate(self) -> None:
        """Ask the child (and anything it started) to stop: SIGTERM to its process group."""
        if self._process is not None and self._process.poll() is None:
            self._signal(signal.SIGTERM)

    def stop(self, timeout_s: float = 10.0) -> None:
        """SIGTERM, wait up to ``timeout_s``, SIGKILL if needed; then wait for the port to close.

        Idempotent. Raises :class:`ServiceError` if the port still accepts connections.
        """
        process = self._process
        if process is not None:
            self.terminate()
            try:
                process.wait(timeout=timeout_s)
            except subprocess.TimeoutExpired:
                self._signal(signal.SIGKILL)
                process.wait(timeout=timeout_s)
        self._release(process)
        if process is not None:
            self._wait_port_closed(timeout_s)

    def _release(self, process: subprocess.Popen[bytes] | None) -> None:
        """Forget a reaped child: kill what is left of its process group, close its log."""
        if process is not None:
            self._kill_group_leftovers(process.pid)
            self._process = None
        if self._log is not None:
            self._log.close()
            self._log = None

    def _wait_port_closed(self, timeout_s: float) -> None:
        try:
            wait_for_port_closed("127.0.0.1", self.port, timeout_s=timeout_s)
        except AccordError as exc:
            raise ServiceError(self.name, f"{self.name} service: {exc}", self.log_path) from exc

    def _signal(self, signum: signal.Signals) -> None:
        assert self._process is not None
        try:
            os.killpg(self._process.pid, signum)
        except ProcessLookupError:
            pass
        except PermissionError:  # pragma: no cover - group gone and pid reused
            self._process.send_signal(signum)

    @staticmethod
    def _kill_group_leftovers(pgid: int, timeout_s: float = 5.0) -> None:
        # A grandchild that outlived the service would keep its port or files: kill it and
        # wait until the group is gone (a zombie not yet reaped by init may outlast this).
        try:
            os.killpg(pgid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            return
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            try:
                os.killpg(pgid, 0)
            except (ProcessLookupError, PermissionError):
                return
            time.sleep(0.02)
