"""Each receiver's message shape and signature, checked against the robots' documentation
(computed here independently of the server's code), and how answers are judged."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import urllib.parse
import uuid
from datetime import UTC, datetime

import pytest

from server.notifications.dispatcher import DispatchPolicy, backoff_s
from server.notifications.formats import (
    RESPONSE_KEPT,
    build_request,
    judge_response,
    response_excerpt,
)
from server.notifications.wire import Event, SiteRef, Wording

NOW = datetime(2026, 11, 23, 1, 2, 3, tzinfo=UTC)
DELIVERY = uuid.UUID("01935f00-0000-7000-8000-00000000abcd")


def event(lines: int = 2) -> Event:
    return Event(
        key="finding.high:0193",
        kind="finding.high",
        site=SiteRef(
            id=uuid.UUID(int=7), name="阳光实验小学", name_en="Sunshine", timezone="Asia/Shanghai"
        ),
        at=NOW,
        zh=Wording(title="检查发现高优先级隐患", lines=[f"第{n}行" for n in range(lines)]),
        en=Wording(title="High-priority finding", lines=[f"line {n}" for n in range(lines)]),
        data={"action": {"id": "0193"}},
    )


def build(format: str, url: str = "https://robot.example/send?access_token=abc", secret=""):
    return build_request(
        format=format, url=url, secret=secret, delivery_id=DELIVERY, event=event(), now=NOW
    )


def test_generic_is_the_event_with_its_delivery_id_signed_over_the_raw_body():
    request = build("generic", secret="topsecret")
    body = json.loads(request.body)
    assert body["id"] == str(DELIVERY)
    assert body["event"] == "finding.high" and body["event_key"] == "finding.high:0193"
    assert body["site"]["name"] == "阳光实验小学"
    assert body["zh"]["title"] == "检查发现高优先级隐患"
    assert body["data"] == {"action": {"id": "0193"}}
    digest = hmac.new(b"topsecret", request.body, hashlib.sha256).hexdigest()
    assert request.headers["X-Roundkeeper-Signature"] == f"sha256={digest}"
    assert request.headers["X-Roundkeeper-Delivery"] == str(DELIVERY)
    assert "X-Roundkeeper-Signature" not in build("generic").headers


def test_wecom_is_a_markdown_message_chinese_first():
    request = build("wecom", secret="ignored")
    body = json.loads(request.body)
    assert body["msgtype"] == "markdown"
    content = body["markdown"]["content"]
    assert content.index("检查发现高优先级隐患") < content.index("High-priority finding")
    assert content.endswith("Roundkeeper")
    assert request.url == "https://robot.example/send?access_token=abc"


def test_wecom_content_is_cut_to_4096_bytes():
    request = build_request(
        format="wecom",
        url="https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k",
        secret="",
        delivery_id=DELIVERY,
        event=event(lines=600),
        now=NOW,
    )
    content = json.loads(request.body)["markdown"]["content"]
    assert len(content.encode()) <= 4096
    assert content.endswith("…")


def test_dingtalk_signs_in_the_query_as_documented():
    secret = "SECexample0123456789"
    request = build("dingtalk", secret=secret)
    body = json.loads(request.body)
    assert body["msgtype"] == "markdown"
    assert body["markdown"]["title"] == "检查发现高优先级隐患 High-priority finding"
    assert "第0行" in body["markdown"]["text"]
    # DingTalk's documented steps: string_to_sign = timestamp + "\n" + secret, HmacSHA256
    # keyed by the secret, Base64, then URL-encode.
    timestamp = str(round(NOW.timestamp() * 1000))
    to_sign = f"{timestamp}\n{secret}".encode()
    digest = hmac.new(secret.encode(), to_sign, digestmod=hashlib.sha256).digest()
    sign = urllib.parse.quote_plus(base64.b64encode(digest))
    assert request.url == (
        f"https://robot.example/send?access_token=abc&timestamp={timestamp}&sign={sign}"
    )


def test_dingtalk_without_a_secret_leaves_the_url_alone():
    assert build("dingtalk").url == "https://robot.example/send?access_token=abc"


def test_feishu_is_a_card_signed_in_the_body_as_documented():
    secret = "feishu-secret"
    body = json.loads(build("feishu", secret=secret).body)
    assert body["msg_type"] == "interactive"
    card = body["card"]
    assert card["header"]["title"]["content"] == "检查发现高优先级隐患 · High-priority finding"
    assert card["header"]["template"] == "red"
    assert card["elements"][0]["text"]["content"].startswith("第0行")
    # Feishu's documented steps: key = timestamp + "\n" + secret, HmacSHA256 of an empty
    # message, Base64; timestamp in seconds, sent as a string.
    timestamp = str(round(NOW.timestamp()))
    key = f"{timestamp}\n{secret}".encode()
    sign = base64.b64encode(hmac.new(key, b"", digestmod=hashlib.sha256).digest()).decode()
    assert (body["timestamp"], body["sign"]) == (timestamp, sign)
    assert "sign" not in json.loads(build("feishu").body)


@pytest.mark.parametrize(
    ("format", "status", "answer", "verdict"),
    [
        ("generic", 204, b"", ""),
        ("generic", 500, b"oops", "HTTP 500"),
        ("generic", 302, b"", "HTTP 302"),
        ("wecom", 200, b'{"errcode":0,"errmsg":"ok"}', ""),
        ("wecom", 200, b'{"errcode":45009,"errmsg":"api freq out of limit"}', "code 45009"),
        ("dingtalk", 200, b'{"errcode":310000,"errmsg":"sign not match"}', "code 310000"),
        ("dingtalk", 200, b"<html>proxy error</html>", "not the robot's JSON"),
        ("feishu", 200, b'{"code":0,"msg":"success","data":{}}', ""),
        ("feishu", 200, b'{"StatusCode":0,"StatusMessage":"success"}', ""),
        ("feishu", 200, b'{"code":19021,"msg":"sign match fail"}', "code 19021"),
        ("feishu", 400, b'{"code":9499,"msg":"Bad Request"}', "HTTP 400"),
    ],
)
def test_a_robot_that_answers_200_with_an_error_code_has_not_taken_it(
    format, status, answer, verdict
):
    judged = judge_response(format, status, answer)
    assert (judged == "") if verdict == "" else (verdict in judged)


def test_backoff_doubles_with_jitter_up_to_a_cap():
    policy = DispatchPolicy(backoff_s=60, backoff_cap_s=600)
    assert [backoff_s(n, policy, rand=1.0) for n in range(1, 7)] == [60, 120, 240, 480, 600, 600]
    assert [backoff_s(n, policy, rand=0.0) for n in range(1, 4)] == [30, 60, 120]
    spread = {round(backoff_s(3, policy), 3) for _ in range(50)}
    assert len(spread) > 1 and all(120 <= s <= 240 for s in spread)


@pytest.mark.parametrize(
    ("content_type", "body", "kept"),
    [
        ("application/json", b'{"ok": true}', '{"ok": true}'),
        ("application/json; charset=utf-8", '{"msg": "已收到"}'.encode(), '{"msg": "已收到"}'),
        ("text/plain; charset=gbk", "系统维护".encode("gbk"), "系统维护"),
        ("text/html", b"<h1>502\r\nBad\tGateway</h1>", "<h1>502 Bad Gateway</h1>"),
        ("application/problem+json", b'{"title": "x"}', '{"title": "x"}'),
        ("text/plain; charset=no-such-charset", b"plain", "plain"),
        ("application/octet-stream", b"\x00\x01secret", ""),
        ("image/png", b"\x89PNG\r\n", ""),
        ("", b"no type given", ""),
    ],
)
def test_only_the_start_of_a_text_answer_is_kept(content_type, body, kept):
    assert response_excerpt(body, content_type) == kept


def test_an_answers_excerpt_is_short_and_has_no_control_characters():
    body = ("\x1b]0;title\x07\u202eevil\u200b\x00" + "é" * 1000).encode()
    excerpt = response_excerpt(body, "text/plain")
    assert len(excerpt) == RESPONSE_KEPT
    assert excerpt.startswith("]0;titleevil")
    assert all(c.isprintable() for c in excerpt)


def test_a_robots_refusal_message_is_kept_short_and_printable():
    answer = b'{"errcode": 1, "errmsg": "\\u001b[2J' + b"z" * 1000 + b'"}'
    judged = judge_response("wecom", 200, answer)
    assert judged.startswith("robot refused: code 1 [2Jzzz")
    assert len(judged) <= RESPONSE_KEPT and "\x1b" not in judged
