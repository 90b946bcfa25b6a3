"""An admin's test delivery: sent at once through the same checks and formats as every
delivery, answered with what the receiver said, kept in the webhook's deliveries."""

from __future__ import annotations

from tests.factories import make_person, make_school
from tests.notifications.helpers import add_webhook, deliveries
from tests.notifications.receiver import Reply, Script


def sending_url(school, hook) -> str:
    return f"/api/sites/{school.site_id}/webhooks/{hook['id']}/test"


async def test_a_test_message_reaches_the_receiver_at_once_in_its_format(api, receiver):
    school = await make_school("阳光实验小学")
    admin = await make_person(school, "admin")
    receiver.script = Script(robot="wecom")
    hook = await add_webhook(api, admin, school, receiver.url(), ["digest.daily"], format="wecom")
    sent = await api.post(sending_url(school, hook), headers=admin.headers)
    assert sent.status_code == 200, sent.text
    delivery = sent.json()
    assert delivery["event"] == "webhook.test" and delivery["status"] == "delivered"
    assert [a["status_code"] for a in delivery["attempts"]] == [200]
    assert len(receiver.requests) == 1
    text = receiver.requests[0].json()["markdown"]["content"]
    assert "测试消息" in text and "阳光实验小学" in text
    listed = await deliveries(api, admin, school, hook)
    assert [d["id"] for d in listed] == [delivery["id"]]
    # A second test is a second message, not the first again.
    again = await api.post(sending_url(school, hook), headers=admin.headers)
    assert again.json()["id"] != delivery["id"] and len(receiver.requests) == 2


async def test_a_failed_test_says_why_and_can_be_retried(api, receiver):
    school = await make_school()
    admin = await make_person(school, "admin")
    receiver.script = Script(reply=Reply(500, b'{"error": "down"}'))
    hook = await add_webhook(api, admin, school, receiver.url(), ["finding.high"], active=False)
    failed = (await api.post(sending_url(school, hook), headers=admin.headers)).json()
    assert failed["status"] == "failed" and failed["attempt_count"] == 1
    assert failed["attempts"][0]["status_code"] == 500 and failed["attempts"][0]["error"]
    assert len(receiver.requests) == 1  # sent although the webhook is switched off
    retry = await api.post(
        f"/api/sites/{school.site_id}/webhooks/{hook['id']}/deliveries/{failed['id']}/retry",
        headers=admin.headers,
    )
    assert retry.status_code == 200 and retry.json()["status"] == "pending"


async def test_only_a_sites_admins_send_tests(api, receiver):
    school = await make_school()
    admin = await make_person(school, "admin")
    manager = await make_person(school, "manager")
    stranger = await make_person(await make_school(), "admin")
    hook = await add_webhook(api, admin, school, receiver.url(), ["finding.high"])
    assert (await api.post(sending_url(school, hook), headers=manager.headers)).status_code == 403
    assert (await api.post(sending_url(school, hook), headers=stranger.headers)).status_code in (
        403,
        404,
    )
    missing = f"/api/sites/{school.site_id}/webhooks/{school.site_id}/test"
    assert (await api.post(missing, headers=admin.headers)).status_code == 404
    assert receiver.requests == []
