"""A stand-in for ``python -m reference_services SERVICE ...`` in the supervisor's unit tests.

Serves ``GET /health`` on 127.0.0.1 and stops on SIGTERM. ``FAKE_MODE_<SERVICE>`` makes it
misbehave: ``die`` (exit 3 before listening), ``ignore-term`` (only SIGKILL stops it),
``unhealthy`` (health answers 503), ``child`` (leaves a grandchild that ignores SIGTERM).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("service")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--bootstrap-servers", required=True)
    parser.add_argument("--database-url")
    parser.add_argument("--processing-delay-ms", type=int, default=0)
    args = parser.parse_args()
    mode = os.environ.get(f"FAKE_MODE_{args.service.upper()}", "")
    args.database_url = args.database_url or os.environ["REFERENCE_DATABASE_URL"]
    print(f"fake {args.service} argv={json.dumps(sys.argv[1:])}", flush=True)
    print(f"fake {args.service} database={args.database_url}", flush=True)
    if mode == "die":
        print(f"fake {args.service}: cannot open {args.database_url}", flush=True)
        return 3
    if mode == "child":
        code = "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(600)"
        grandchild = subprocess.Popen([sys.executable, "-c", code])
        print(f"grandchild={grandchild.pid}", flush=True)

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            status = 503 if mode == "unhealthy" else 200
            body = json.dumps({"status": "ok" if status == 200 else "starting"}).encode()
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    if mode == "ignore-term":
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
    else:
        signal.signal(
            signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown).start()
        )
    server.serve_forever(poll_interval=0.05)
    server.server_close()
    print(f"fake {args.service} stopped", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
