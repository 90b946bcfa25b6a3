"""A real HTTP server on a loopback port standing in for webhook receivers: it records every
request and answers as it is told (fail the first k with 500, be too slow for the first k,
answer like a WeCom/DingTalk/Feishu robot, check a robot's signature as the robot would, or
give one answer of any kind: a redirect, a long or binary body)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class Received:
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes
    at: float

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def delivery_id(self) -> str:
        return self.headers["x-roundkeeper-delivery"]


@dataclass(frozen=True)
class Reply:
    """One answer given to every request, whatever the rest of the script says."""

    status: int
    body: bytes = b""
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Script:
    reply: Reply | None = None
    fail_first: int = 0
    slow_first: int = 0
    slow_s: float = 1.0
    robot: str | None = None
    """wecom, dingtalk or feishu: answer with that robot's JSON."""
    robot_secret: str | None = None
    """Refuse (HTTP 200, error code) a DingTalk/Feishu message whose sign is wrong."""
    refuse_all: bool = False
    """A robot that takes nothing (HTTP 200 with a non-zero code)."""


@dataclass
class Receiver:
    script: Script = field(default_factory=Script)
    requests: list[Received] = field(default_factory=list)
    port: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _server: ThreadingHTTPServer | None = None

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def start(self) -> Receiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                parts = urlsplit(self.path)
                with receiver._lock:
                    index = len(receiver.requests)
                    receiver.requests.append(
                        Received(
                            path=parts.path,
                            query={k: v[0] for k, v in parse_qs(parts.query).items()},
                            headers={k.lower(): v for k, v in self.headers.items()},
                            body=body,
                            at=time.monotonic(),
                        )
                    )
                status, answer = receiver._answer(index, parts.query, body)
                reply = receiver.script.reply or Reply(status, answer)
                if index < receiver.script.slow_first:
                    time.sleep(receiver.script.slow_s)
                try:
                    self.send_response(reply.status)
                    self.send_header("Content-Type", reply.content_type)
                    self.send_header("Content-Length", str(len(reply.body)))
                    for name, value in reply.headers.items():
                        self.send_header(name, value)
                    self.end_headers()
                    self.wfile.write(reply.body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the sender gave up waiting

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        # shutdown() waits for the loop to look at its flag, once a poll_interval.
        threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.02},
            daemon=True,
        ).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def _answer(self, index: int, query: str, body: bytes) -> tuple[int, bytes]:
        script = self.script
        if index < script.fail_first:
            return 500, b'{"error": "down for maintenance"}'
        if script.robot is None:
            return 200, b'{"ok": true}'
        refused = script.refuse_all or not self._signed(script, query, body)
        if script.robot == "feishu":
            answer = (
                {"code": 19021, "msg": "sign match fail or timestamp is not within one hour"}
                if refused
                else {"code": 0, "msg": "success", "data": {}}
            )
        else:
            answer = (
                {"errcode": 310000, "errmsg": "sign not match"}
                if refused
                else {"errcode": 0, "errmsg": "ok"}
            )
        return 200, json.dumps(answer).encode()

    @staticmethod
    def _signed(script: Script, query: str, body: bytes) -> bool:
        """Checked the way each robot documents it, written here independently of the
        server's own signing code."""
        secret = script.robot_secret
        if secret is None:
            return True
        if script.robot == "dingtalk":
            params = {k: v[0] for k, v in parse_qs(query).items()}
            if "timestamp" not in params or "sign" not in params:
                return False
            to_sign = f"{params['timestamp']}\n{secret}".encode()
            expected = base64.b64encode(
                hmac.new(secret.encode(), to_sign, hashlib.sha256).digest()
            ).decode()
            fresh = abs(int(params["timestamp"]) - time.time() * 1000) < 3600 * 1000
            return fresh and hmac.compare_digest(expected, params["sign"])
        if script.robot == "feishu":
            message = json.loads(body)
            if "timestamp" not in message or "sign" not in message:
                return False
            key = f"{message['timestamp']}\n{secret}".encode()
            expected = base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()
            fresh = abs(int(message["timestamp"]) - time.time()) < 3600
            return fresh and hmac.compare_digest(expected, message["sign"])
        return True
