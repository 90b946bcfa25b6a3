"""A schedule read through the API names the first of the things it covers, on both
databases: in name order, at most five, retired things left out."""

from __future__ import annotations

from tests.factories import make_asset
from tests.inspections.helpers import extinguisher_school
from tests.schedules.scheduling import FRIDAY, make_schedule, set_now


async def test_a_schedule_names_the_first_five_things_it_covers(api, monkeypatch):
    set_now(monkeypatch, FRIDAY)
    school, admin, *_ = await extinguisher_school()
    retired = await make_asset(admin, school, name="0号灭火器（已报废）")
    for n in (6, 2, 5, 1, 4, 3):
        await make_asset(admin, school, name=f"{n}号灭火器")
    gone = await api.patch(
        f"/api/assets/{retired}", json={"status": "retired"}, headers=admin.headers
    )
    assert gone.status_code == 200, gone.text

    made = await make_schedule(api, admin, school.site_id, {"every": "daily"})
    assert made["target_count"] == 7
    assert made["target_names"] == ["1号灭火器", "2号灭火器", "3号灭火器", "4号灭火器", "5号灭火器"]
    listed = await api.get(f"/api/sites/{school.site_id}/schedules", headers=admin.headers)
    assert listed.json()[0]["target_names"] == made["target_names"]
