"""How an event is put to each kind of receiver, and how its answer is read. Pure: values
in, values out; the clock is an argument.

- generic: `GenericPayload` as JSON; with a secret, `X-Roundkeeper-Signature:
  sha256=<hex HMAC-SHA256(secret, raw body)>`.
- WeCom group robot (企业微信群机器人): `{"msgtype": "markdown", "markdown": {"content"}}`,
  content at most 4096 bytes; success is `errcode` 0. WeCom robots have no signing.
- DingTalk custom robot (钉钉自定义机器人): `{"msgtype": "markdown", "markdown": {"title",
  "text"}}`; with a 加签 secret, `timestamp` (ms) and `sign` query parameters, where sign =
  urlencode(base64(HMAC-SHA256(key=secret, msg=f"{timestamp}\\n{secret}"))); success is
  `errcode` 0.
- Feishu custom bot (飞书自定义机器人): `{"msg_type": "interactive", "card": {...}}`; with a
  签名校验 secret, `timestamp` (s) and `sign` in the body, where sign =
  base64(HMAC-SHA256(key=f"{timestamp}\\n{secret}", msg=b"")); success is `code` 0.

Text is bilingual, Chinese first. Every robot message ends with "Roundkeeper", so a robot
guarded by a 自定义关键词 accepts it when that is the keyword.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import unicodedata
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote_plus, urlsplit, urlunsplit

import msgspec

from server.notifications.wire import Event, GenericPayload

USER_AGENT = "Roundkeeper-Webhooks/1"
SIGNATURE_HEADER = "X-Roundkeeper-Signature"
DELIVERY_HEADER = "X-Roundkeeper-Delivery"
EVENT_HEADER = "X-Roundkeeper-Event"
FOOTER = "Roundkeeper"

WECOM_MAX_BYTES = 4096
DINGTALK_MAX_BYTES = 18_000
FEISHU_MAX_BYTES = 20_000
RESPONSE_KEPT = 200
"""Characters of a receiver's answer kept with an attempt, for whoever investigates a
failure; no more, since managers read it and a receiver's answer is not ours to keep."""
ERROR_KEPT = 300
TEXT_TYPES = ("application/json", "application/xml")

CARD_COLOURS = {
    "finding.high": "red",
    "action.overdue": "orange",
    "occurrence.overdue": "orange",
    "round.missed": "orange",
    "round.flagged": "red",
    "visit.awaiting_host": "blue",
    "digest.daily": "blue",
}


@dataclass(frozen=True)
class Outgoing:
    url: str
    headers: dict[str, str]
    body: bytes


def sign_generic(secret: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    """Base64, before the URL encoding that putting it in the query adds."""
    message = f"{timestamp_ms}\n{secret}".encode()
    return base64.b64encode(hmac.new(secret.encode(), message, hashlib.sha256).digest()).decode()


def feishu_sign(secret: str, timestamp_s: int) -> str:
    # Feishu keys the HMAC with the timestamp and secret and signs nothing, as documented.
    key = f"{timestamp_s}\n{secret}".encode()
    return base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()


def build_request(
    *,
    format: str,
    url: str,
    secret: str,
    delivery_id: uuid.UUID,
    event: Event,
    now: datetime,
) -> Outgoing:
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": USER_AGENT,
        DELIVERY_HEADER: str(delivery_id),
        EVENT_HEADER: event.kind,
    }
    if format == "generic":
        body = msgspec.json.encode(
            GenericPayload(
                id=delivery_id,
                event=event.kind,
                event_key=event.key,
                occurred_at=event.at,
                site=event.site,
                zh=event.zh,
                en=event.en,
                data=event.data,
            )
        )
        if secret:
            headers[SIGNATURE_HEADER] = sign_generic(secret, body)
        return Outgoing(url, headers, body)
    if format == "wecom":
        content = _fit(markdown(event, "\n"), WECOM_MAX_BYTES)
        message: dict[str, Any] = {"msgtype": "markdown", "markdown": {"content": content}}
        return Outgoing(url, headers, msgspec.json.encode(message))
    if format == "dingtalk":
        text = _fit(markdown(event, "\n\n"), DINGTALK_MAX_BYTES)
        title = f"{event.zh.title} {event.en.title}"
        message = {"msgtype": "markdown", "markdown": {"title": title, "text": text}}
        if secret:
            timestamp = int(now.timestamp() * 1000)
            url = _with_query(
                url, f"timestamp={timestamp}&sign={quote_plus(dingtalk_sign(secret, timestamp))}"
            )
        return Outgoing(url, headers, msgspec.json.encode(message))
    if format == "feishu":
        message = {"msg_type": "interactive", "card": feishu_card(event)}
        if secret:
            timestamp = int(now.timestamp())
            message = {
                "timestamp": str(timestamp),
                "sign": feishu_sign(secret, timestamp),
                **message,
            }
        return Outgoing(url, headers, msgspec.json.encode(message))
    raise ValueError(f"unknown webhook format {format!r}")


def markdown(event: Event, newline: str) -> str:
    """Chinese block, then English block, then the footer."""
    parts = [
        f"### {event.zh.title}",
        *event.zh.lines,
        f"### {event.en.title}",
        *event.en.lines,
        f"> {FOOTER}",
    ]
    return newline.join(parts)


def feishu_card(event: Event) -> dict[str, Any]:
    def block(lines: list[str]) -> dict[str, Any]:
        content = _fit("\n".join(lines), FEISHU_MAX_BYTES // 2)
        return {"tag": "div", "text": {"tag": "lark_md", "content": content}}

    return {
        "config": {"wide_screen_mode": True},
        "header": {
            "title": {"tag": "plain_text", "content": f"{event.zh.title} · {event.en.title}"},
            "template": CARD_COLOURS.get(event.kind, "blue"),
        },
        "elements": [
            block(event.zh.lines),
            {"tag": "hr"},
            block(event.en.lines),
            {"tag": "note", "elements": [{"tag": "plain_text", "content": FOOTER}]},
        ],
    }


def judge_response(format: str, status_code: int, body: bytes) -> str:
    """ "" when the receiver took the message, else why not. Robots answer HTTP 200 even
    when they refuse a message (a bad signature, a missing keyword, too many messages a
    minute), so their JSON decides."""
    if not 200 <= status_code < 300:
        return f"HTTP {status_code}"
    if format == "generic":
        return ""
    try:
        answer = msgspec.json.decode(body)
    except msgspec.DecodeError:
        return f"HTTP {status_code} but the answer is not the robot's JSON"
    if not isinstance(answer, dict):
        return f"HTTP {status_code} but the answer is not the robot's JSON"
    if format in ("wecom", "dingtalk"):
        code, text = answer.get("errcode"), answer.get("errmsg", "")
    else:
        # Feishu answers {"code": 0, "msg": "success"}; older bots {"StatusCode": 0}.
        code = answer.get("code", answer.get("StatusCode"))
        text = answer.get("msg", answer.get("StatusMessage", ""))
    if code == 0:
        return ""
    return clean_text(f"robot refused: code {code} {text}", RESPONSE_KEPT)


def response_excerpt(body: bytes, content_type: str) -> str:
    """The start of a text answer (text/*, JSON, XML), printable, at most RESPONSE_KEPT
    characters; nothing of any other kind of answer."""
    media = content_type.split(";", 1)[0].strip().lower()
    if not (media.startswith("text/") or media in TEXT_TYPES or media.endswith(("+json", "+xml"))):
        return ""
    charset = "utf-8"
    for parameter in content_type.split(";")[1:]:
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "charset" and value.strip():
            charset = value.strip().strip('"')
    try:
        text = body[: RESPONSE_KEPT * 4].decode(charset, errors="replace")
    except LookupError:
        text = body[: RESPONSE_KEPT * 4].decode("utf-8", errors="replace")
    return clean_text(text, RESPONSE_KEPT)


def clean_text(text: str, limit: int) -> str:
    """`text` with control and format characters (escape sequences, bidirectional
    overrides, NUL) gone, runs of white space as one space, at most `limit` characters."""
    kept = "".join(c for c in text if c.isspace() or not _control(c))
    return " ".join(kept.split())[:limit]


def _control(char: str) -> bool:
    # Cc control, Cf format (bidi overrides, zero-width), Cs/Co/Cn: nothing to show.
    return unicodedata.category(char).startswith("C")


def _fit(text: str, max_bytes: int) -> str:
    encoded = text.encode()
    if len(encoded) <= max_bytes:
        return text
    ellipsis = "…".encode()
    return encoded[: max_bytes - len(ellipsis)].decode(errors="ignore") + "…"


def _with_query(url: str, extra: str) -> str:
    parts = urlsplit(url)
    query = f"{parts.query}&{extra}" if parts.query else extra
    return urlunsplit(parts._replace(query=query))
