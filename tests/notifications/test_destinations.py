"""Webhooks reach public addresses only: every spelling of an internal address is refused
when a webhook is saved, a name is judged by every address it resolves to, and each
attempt checks again and connects to the address it checked, so that DNS cannot steer a
delivery inside. ROUNDKEEPER_WEBHOOK_ALLOW_PRIVATE lets named networks through."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from ipaddress import ip_address
from pathlib import Path

import httpx
import pytest

from server.notifications import destinations
from server.notifications.destinations import (
    DestinationRefused,
    DestinationUnresolvable,
    allowed_networks,
    checked_addresses,
    is_public,
    literal_address,
    permitted,
    pinned,
)
from server.notifications.runner import BackgroundDispatcher
from server.settings import Settings, SettingsError
from tests.factories import make_person, make_school
from tests.inspections.helpers import extinguisher_answers, extinguisher_school, submission, submit
from tests.notifications.helpers import add_webhook, deliveries, dispatch
from tests.notifications.receiver import Reply

SYSTEM_RESOLVE = destinations.resolve
"""Taken before the tests' stand-in (conftest.py) replaces it."""

REFUSED = [
    "http://127.0.0.1:8000/hook",
    "http://127.0.0.2/",
    "https://127.0.0.1/",
    "http://169.254.169.254/latest/meta-data/",
    "http://[::1]/",
    "http://[::1]:8080/hook",
    "http://localhost:22/",
    "http://localhost./",
    "http://LOCALHOST/",
    "http://api.localhost/",
    "http://2130706433/",
    "http://0x7f.1/",
    "http://0x7f000001/",
    "http://017700000001/",
    "http://127.1/",
    "http://127.0.0.1./",
    "http://0/",
    "http://0.0.0.0/",
    "http://[::]/",
    "http://[::ffff:127.0.0.1]/",
    "http://[::ffff:7f00:1]/",
    "http://[::ffff:10.0.0.1]/",
    "http://[::127.0.0.1]/",
    "http://[fe80::1%25eth0]/",
    "http://[fe80::1]/",
    "http://10.1.2.3/",
    "http://172.16.0.1/",
    "http://172.31.255.254/",
    "http://192.168.1.1/",
    "http://100.64.0.1/",
    "http://100.127.255.254/",
    "http://192.0.0.8/",
    "http://192.0.2.1/",
    "http://198.51.100.7/",
    "http://203.0.113.9/",
    "http://198.18.0.1/",
    "http://224.0.0.1/",
    "http://239.255.255.250:1900/",
    "http://240.0.0.1/",
    "http://255.255.255.255/",
    "http://[fc00::1]/",
    "http://[fd12:3456:789a::1]/",
    "http://[fec0::1]/",
    "http://[ff02::1]/",
    "http://[2001:db8::1]/",
    "http://[2001::1]/",
    "http://[2002:7f00:1::1]/",
    "http://[64:ff9b::a00:1]/",
    "http://[100::1]/",
    "http://public.example.cn@127.0.0.1/",
    "http://user:password@10.0.0.1:8443/hook",
]


@pytest.mark.parametrize("url", REFUSED)
async def test_a_url_into_the_servers_network_is_refused_when_saved(strict_api, url):
    school = await make_school()
    admin = await make_person(school, "admin")
    body = {"url": url, "events": ["finding.high"]}
    refused = await strict_api.post(
        f"/api/sites/{school.site_id}/webhooks", json=body, headers=admin.headers
    )
    assert refused.status_code == 422, refused.text
    assert refused.json()["code"] == "webhook.destination_not_public"
    assert refused.json()["field"] == "url"
    listed = await strict_api.get(f"/api/sites/{school.site_id}/webhooks", headers=admin.headers)
    assert listed.json() == []


@pytest.mark.parametrize("url", ["http://0177.0.0.1/", "http://1.2.3.999/", "http://[::1/"])
async def test_a_url_the_sender_cannot_parse_is_refused_as_invalid(strict_api, url):
    school = await make_school()
    admin = await make_person(school, "admin")
    refused = await strict_api.post(
        f"/api/sites/{school.site_id}/webhooks",
        json={"url": url, "events": ["finding.high"]},
        headers=admin.headers,
    )
    assert refused.status_code == 400, refused.text
    assert refused.json()["code"] == "request.invalid"
    assert refused.json()["field"] == "url"


@pytest.mark.parametrize(
    ("url", "addresses"),
    [
        ("http://intranet.example.cn/hook", ("10.0.0.5",)),
        ("https://metadata.example.cn/", ("169.254.169.254",)),
        ("http://me.example.cn:22/", ("127.0.0.1",)),
        ("http://six.example.cn/", ("::1",)),
        ("http://mapped.example.cn/", ("::ffff:192.168.0.1",)),
        # One internal address among public ones: a resolver could hand out either.
        ("http://mixed.example.cn/", ("93.184.216.34", "10.0.0.5")),
    ],
)
async def test_a_name_that_resolves_to_an_internal_address_is_refused_when_saved(
    strict_api, names, url, addresses
):
    names.set(httpx.URL(url).host, *addresses)
    school = await make_school()
    admin = await make_person(school, "admin")
    refused = await strict_api.post(
        f"/api/sites/{school.site_id}/webhooks",
        json={"url": url, "events": ["finding.high"]},
        headers=admin.headers,
    )
    assert refused.status_code == 422, refused.text
    assert refused.json()["code"] == "webhook.destination_not_public"
    assert refused.json()["field"] == "url"
    # Whoever saves a webhook is not told where an internal name points.
    for address in addresses:
        assert address not in refused.json()["detail"]


async def test_a_name_that_does_not_resolve_is_refused_when_saved(strict_api, names):
    names.set("nowhere.example.cn")
    school = await make_school()
    admin = await make_person(school, "admin")
    refused = await strict_api.post(
        f"/api/sites/{school.site_id}/webhooks",
        json={"url": "https://nowhere.example.cn/hook", "events": ["finding.high"]},
        headers=admin.headers,
    )
    assert refused.status_code == 422, refused.text
    assert refused.json()["code"] == "webhook.destination_unresolvable"
    assert refused.json()["field"] == "url"


@pytest.mark.parametrize(
    "url",
    [
        "http://93.184.216.34/",
        "https://93.184.216.34:8443/hook?key=abc",
        "http://8.8.8.8:22/",
        "http://1572395042/",
        "http://[2606:2800:220:1:248:1893:25c8:1946]/hook",
        "http://[::ffff:93.184.216.34]/",
        "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k",
        "https://hooks.example.org:8443/x",
    ],
)
async def test_a_public_destination_is_accepted(strict_api, url):
    school = await make_school()
    admin = await make_person(school, "admin")
    hook = await add_webhook(strict_api, admin, school, url, ["finding.high"])
    assert hook["url"] == url


async def test_changing_the_url_to_an_internal_address_is_refused_and_keeps_the_old_one(
    strict_api,
):
    school = await make_school()
    admin = await make_person(school, "admin")
    hook = await add_webhook(strict_api, admin, school, "http://93.184.216.34/", ["finding.high"])
    url = f"/api/sites/{school.site_id}/webhooks/{hook['id']}"
    for internal in ("http://169.254.169.254/", "http://0x7f.1/", "http://[::1]/"):
        refused = await strict_api.patch(url, json={"url": internal}, headers=admin.headers)
        assert refused.status_code == 422, refused.text
        assert refused.json()["code"] == "webhook.destination_not_public"
        assert refused.json()["field"] == "url"
    kept = await strict_api.get(url, headers=admin.headers)
    assert kept.json()["url"] == "http://93.184.216.34/"


async def test_the_setting_lets_only_the_networks_it_lists_through(api):
    """The session server allows 127.0.0.1/32 (tests/conftest.py), no more."""
    school = await make_school()
    admin = await make_person(school, "admin")
    await add_webhook(api, admin, school, "http://127.0.0.1:9/hook", ["finding.high"])
    for other in ("http://127.0.0.2/", "http://10.0.0.1/", "http://[::1]/", "http://0/"):
        refused = await api.post(
            f"/api/sites/{school.site_id}/webhooks",
            json={"url": other, "events": ["finding.high"]},
            headers=admin.headers,
        )
        assert refused.status_code == 422, other
        assert refused.json()["code"] == "webhook.destination_not_public"


# --- on each attempt -------------------------------------------------------------------


async def hook_on(api, url: str, **fields: str) -> tuple:
    """A school whose webhook to `url` has one finding.high delivery waiting."""
    school, admin, inspector, asset = await extinguisher_school()
    hook = await add_webhook(api, admin, school, url, ["finding.high"], **fields)
    body = submission(asset=asset, answers=extinguisher_answers(gauge_zone="red"))
    assert (await submit(api, inspector, body)).status_code == 201
    return school, admin, hook


async def test_a_name_that_resolves_to_the_loopback_when_sent_is_not_contacted(
    api, names, receiver
):
    """Public when saved, the loopback when sent (DNS rebinding): the receiver on the
    loopback hears nothing until the loopback is allowed."""
    url = f"http://hooks.example.org:{receiver.port}/hook"
    names.set("hooks.example.org", "93.184.216.34")
    school, admin, hook = await hook_on(api, url)
    names.set("hooks.example.org", "127.0.0.1")

    report = await dispatch(allow_private=())
    assert (report.delivered, report.retrying) == (0, 1)
    assert receiver.requests == []
    [delivery] = await deliveries(api, admin, school, hook)
    [attempt] = delivery["attempts"]
    assert attempt["status_code"] is None
    assert attempt["error"].startswith("not sent: hooks.example.org resolves to an address")
    assert "127.0.0.1" not in attempt["error"]

    later = datetime.now(UTC) + timedelta(minutes=1)
    assert (await dispatch(now=later)).delivered == 1
    [request] = receiver.requests
    # Sent to the address checked, still naming the host.
    assert request.headers["host"] == f"hooks.example.org:{receiver.port}"
    assert request.path == "/hook"


async def test_a_loopback_url_is_not_sent_where_the_setting_does_not_allow_it(api, receiver):
    await hook_on(api, receiver.url())
    assert (await dispatch(allow_private=())).retrying == 1
    assert receiver.requests == []
    later = datetime.now(UTC) + timedelta(minutes=1)
    assert (await dispatch(now=later)).delivered == 1
    assert len(receiver.requests) == 1


async def test_every_address_of_the_name_is_checked_when_sent(api, names, receiver):
    await hook_on(api, f"http://two.example.org:{receiver.port}/hook")
    names.set("two.example.org", "127.0.0.1", "10.0.0.5")
    assert (await dispatch()).retrying == 1
    assert receiver.requests == []


async def test_a_refused_connection_moves_on_to_the_names_next_address(api, names, receiver):
    await hook_on(api, f"http://two.example.org:{receiver.port}/hook")
    # Nothing listens on 127.0.0.2 at the receiver's port: refused before anything is sent.
    names.set("two.example.org", "127.0.0.2", "127.0.0.1")
    report = await dispatch(allow_private=allowed_networks(["127.0.0.0/8"]))
    assert report.delivered == 1
    assert len(receiver.requests) == 1


async def test_a_redirect_is_not_followed_and_is_a_failed_attempt(api, receiver, second_receiver):
    receiver.script.reply = Reply(302, headers={"Location": second_receiver.url("/inside")})
    school, admin, hook = await hook_on(api, receiver.url())
    report = await dispatch()
    assert (report.delivered, report.retrying) == (0, 1)
    assert len(receiver.requests) == 1
    assert second_receiver.requests == []
    [delivery] = await deliveries(api, admin, school, hook)
    [attempt] = delivery["attempts"]
    assert (attempt["status_code"], attempt["error"]) == (302, "HTTP 302")


async def test_only_a_short_printable_excerpt_of_a_text_answer_is_kept(api, receiver):
    noise = "\x1b[2J\x1b[31mdown\x00 for\u202e maintenance\r\n\x07" + "x" * 5000
    receiver.script.reply = Reply(500, noise.encode(), "text/plain; charset=utf-8")
    school, admin, hook = await hook_on(api, receiver.url())
    await dispatch()
    [delivery] = await deliveries(api, admin, school, hook)
    [attempt] = delivery["attempts"]
    assert attempt["response"].startswith("[2J[31mdown for maintenance xxx")
    assert len(attempt["response"]) == 200
    assert not {"\x1b", "\x00", "\u202e", "\r", "\n", "\x07"} & set(attempt["response"])


async def test_nothing_of_an_answer_that_is_not_text_is_kept(api, receiver):
    receiver.script.reply = Reply(500, bytes(range(256)) * 4, "application/octet-stream")
    school, admin, hook = await hook_on(api, receiver.url())
    await dispatch()
    [delivery] = await deliveries(api, admin, school, hook)
    assert delivery["attempts"][0]["response"] == ""
    assert delivery["attempts"][0]["error"] == "HTTP 500"


async def test_a_robots_refusal_is_kept_short_and_printable(api, receiver):
    answer = b'{"errcode": 93000, "errmsg": "\\u001b[31m' + b"y" * 3000 + b'"}'
    receiver.script.reply = Reply(200, answer)
    school, admin, hook = await hook_on(api, receiver.url(), format="wecom")
    assert (await dispatch()).retrying == 1
    [delivery] = await deliveries(api, admin, school, hook)
    [attempt] = delivery["attempts"]
    assert len(attempt["error"]) <= 300 and "\x1b" not in attempt["error"]
    assert len(attempt["response"]) <= 200


# --- the check itself ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("93.184.216.34", True),
        ("8.8.8.8", True),
        ("1.1.1.1", True),
        ("2606:2800:220:1:248:1893:25c8:1946", True),
        ("::ffff:93.184.216.34", True),
        ("64:ff9b::5db8:d822", True),  # NAT64 of a public address
        ("2002:5db8:d822::1", True),  # 6to4 of a public address
        ("127.0.0.1", False),
        ("127.255.255.254", False),
        ("0.0.0.0", False),
        ("0.1.2.3", False),
        ("10.0.0.1", False),
        ("100.64.0.1", False),
        ("169.254.169.254", False),
        ("172.16.0.1", False),
        ("192.0.0.9", False),
        ("192.0.2.1", False),
        ("192.88.99.1", False),
        ("192.168.0.1", False),
        ("198.18.0.1", False),
        ("198.51.100.1", False),
        ("203.0.113.1", False),
        ("224.0.0.1", False),
        ("240.0.0.1", False),
        ("255.255.255.255", False),
        ("::", False),
        ("::1", False),
        ("::127.0.0.1", False),
        ("::ffff:127.0.0.1", False),
        ("::ffff:169.254.169.254", False),
        ("64:ff9b::7f00:1", False),
        ("64:ff9b:1::1", False),
        ("100::1", False),
        ("2001::1", False),
        ("2001:db8::1", False),
        ("2002:7f00:1::1", False),
        ("2002:a00:1::1", False),
        ("3fff::1", False),
        ("fc00::1", False),
        ("fd00::1", False),
        ("fe80::1", False),
        ("fe80::1%eth0", False),
        ("fec0::1", False),
        ("ff02::1", False),
    ],
)
def test_only_globally_routable_unicast_addresses_are_public(address, public):
    assert is_public(ip_address(address)) is public


def test_an_allowed_network_lets_its_addresses_through_and_no_others():
    allowed = allowed_networks(["10.20.0.0/16", "fd00:1::/64", "127.0.0.1"])
    assert permitted(ip_address("10.20.3.4"), allowed)
    assert permitted(ip_address("::ffff:10.20.3.4"), allowed)
    assert permitted(ip_address("fd00:1::5"), allowed)
    assert permitted(ip_address("127.0.0.1"), allowed)
    assert not permitted(ip_address("10.21.0.1"), allowed)
    assert not permitted(ip_address("127.0.0.2"), allowed)
    assert not permitted(ip_address("169.254.169.254"), allowed)
    assert permitted(ip_address("93.184.216.34"), allowed)


def test_the_unspecified_address_and_multicast_are_refused_even_when_allowed():
    allowed = allowed_networks(["0.0.0.0/8", "224.0.0.0/4", "::/127", "ff00::/8"])
    for address in ("0.0.0.0", "224.0.0.1", "::", "ff02::1"):
        assert not permitted(ip_address(address), allowed), address


@pytest.mark.parametrize(
    ("host", "address"),
    [
        ("2130706433", "127.0.0.1"),
        ("0x7f.1", "127.0.0.1"),
        ("0X7F.0.0.1", "127.0.0.1"),
        ("0177.0.0.1", "127.0.0.1"),
        ("017700000001", "127.0.0.1"),
        ("127.1", "127.0.0.1"),
        ("10.1.515", "10.1.2.3"),
        ("0", "0.0.0.0"),
        ("127.0.0.1.", "127.0.0.1"),
        ("1572395042", "93.184.216.34"),
        ("::ffff:127.0.0.1", "::ffff:7f00:1"),
        ("fe80::1%25eth0", "fe80::1"),
        ("example.org", None),
        ("1x.example.org", None),
    ],
)
def test_every_spelling_of_an_address_is_read_as_the_address_it_means(host, address):
    found = literal_address(host)
    assert (None if found is None else str(found)) == address


@pytest.mark.parametrize("host", ["1.2.3.256", "256.1.1", "0x100.1.1.1", "example.1", "1..2"])
def test_a_host_ending_in_a_number_that_is_no_address_is_unresolvable(host):
    with pytest.raises(DestinationUnresolvable):
        literal_address(host)


async def test_the_check_does_not_resolve_literals_or_localhost(names):
    with pytest.raises(DestinationRefused):
        await checked_addresses(httpx.URL("http://0x7f.1/"))
    with pytest.raises(DestinationRefused):
        await checked_addresses(httpx.URL("http://localhost./"))
    assert await checked_addresses(httpx.URL("http://[::ffff:93.184.216.34]/")) == [
        ip_address("93.184.216.34")
    ]
    # `localhost` is both loopbacks: allowed only where both are.
    loopbacks = allowed_networks(["127.0.0.1/32", "::1/128"])
    assert await checked_addresses(httpx.URL("http://localhost/"), loopbacks) == [
        ip_address("127.0.0.1"),
        ip_address("::1"),
    ]
    with pytest.raises(DestinationRefused):
        await checked_addresses(httpx.URL("http://localhost/"), loopbacks[:1])
    assert names.asked == []


def test_a_pinned_request_goes_to_the_address_and_names_the_host():
    url = httpx.URL("https://hooks.example.org:8443/send?key=k")
    target = pinned(url, ip_address("2606:2800:220:1:248:1893:25c8:1946"))
    assert str(target.url) == "https://[2606:2800:220:1:248:1893:25c8:1946]:8443/send?key=k"
    assert target.headers["Host"] == "hooks.example.org:8443"
    assert target.extensions == {"sni_hostname": "hooks.example.org"}
    plain = pinned(httpx.URL("http://hooks.example.org/x"), ip_address("93.184.216.34"))
    assert (str(plain.url), plain.headers["Host"]) == (
        "http://93.184.216.34/x",
        "hooks.example.org",
    )
    assert plain.extensions == {}


async def test_the_system_resolver_gives_every_address_of_a_name():
    """`localhost` is in every hosts file, so this asks no network."""
    found = await SYSTEM_RESOLVE("localhost")
    assert ip_address("127.0.0.1") in found
    assert all(not is_public(address) for address in found)


# --- the setting -----------------------------------------------------------------------


def test_the_setting_is_a_list_of_networks(tmp_path: Path):
    env = {"ROUNDKEEPER_DATA_DIR": str(tmp_path)}
    assert Settings.from_env(env).webhook_allow_private == ()
    listed = Settings.from_env(
        {**env, "ROUNDKEEPER_WEBHOOK_ALLOW_PRIVATE": " 10.20.0.0/16, fd00:1::/64,127.0.0.1 ,"}
    )
    assert listed.webhook_allow_private == ("10.20.0.0/16", "fd00:1::/64", "127.0.0.1/32")


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("true", "must list networks"),
        ("10.20.0.1/16", "must list networks"),
        ("intranet.example.cn", "must list networks"),
        ("0.0.0.0/0", "may not allow every address"),
        ("10.0.0.0/8,::/0", "may not allow every address"),
    ],
)
def test_a_setting_that_is_not_a_list_of_networks_is_refused_at_start(
    tmp_path: Path, value, message
):
    env = {"ROUNDKEEPER_DATA_DIR": str(tmp_path), "ROUNDKEEPER_WEBHOOK_ALLOW_PRIVATE": value}
    with pytest.raises(SettingsError, match=f"ROUNDKEEPER_WEBHOOK_ALLOW_PRIVATE {message}"):
        Settings.from_env(env)


def test_the_in_process_dispatcher_allows_what_the_setting_allows(tmp_path: Path):
    env = {"ROUNDKEEPER_DATA_DIR": str(tmp_path)}
    assert BackgroundDispatcher.from_settings(Settings.from_env(env)).policy.allow_private == ()
    allowing = Settings.from_env({**env, "ROUNDKEEPER_WEBHOOK_ALLOW_PRIVATE": "10.20.0.0/16"})
    policy = BackgroundDispatcher.from_settings(allowing).policy
    assert policy.allow_private == allowed_networks(["10.20.0.0/16"])
