"""A realistic demo school: 阳光实验小学, three teaching buildings and a boarding dormitory,
~60 rooms, ~130 assets, a tag on every asset and room, one account per role and the people
who walk its patrols. Loading it twice changes nothing."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field

from server import clock
from server.accounts import sites, users
from server.accounts.access import Caller
from server.accounts.wire import SiteCreate
from server.db import transaction
from server.demo_gate import register_week
from server.demo_history import HISTORY_DAYS, keep_routine
from server.demo_patrols import walk_patrols
from server.gate.keys import use_secret_key
from server.registry import assets, locations, tags
from server.registry.wire import AssetCreate, LocationCreate
from server.settings import Settings
from server.templates import templates

ORGANIZATION = "阳光教育集团"
SITE = "阳光实验小学"
SITE_EN = "Sunshine Experimental Primary School"
DEMO_PASSWORD = "roundkeeper-demo"
PEOPLE = (
    ("admin", "王建国（系统管理员）", "admin"),
    ("manager", "李明（总务主任）", "manager"),
    ("inspector", "张伟（安全员）", "inspector"),
    ("nurse", "李芳（校医）", "inspector"),
    ("guard", "刘强（保安）", "guard"),
    ("guard2", "孙涛（保安）", "guard"),
    ("guard3", "吴海（保安）", "guard"),
    ("gatekeeper", "陈师傅（门卫）", "gatekeeper"),
    ("maintainer", "赵师傅（维修工）", "maintainer"),
    ("auditor", "周敏（区教育局检查组）", "auditor"),
)


@dataclass
class _Builder:
    caller: Caller
    site_id: uuid.UUID
    keepers: dict[str, uuid.UUID]
    counters: dict[str, int] = field(default_factory=dict)
    assets: int = 0
    places: list[tuple[uuid.UUID, str, str]] = field(default_factory=list)
    """(id, kind, code) of every location, for the schedules."""
    spots: dict[str, uuid.UUID] = field(default_factory=dict)
    """The places the patrol routes visit, by a name of the demo's own (`A1_corridor`)."""

    async def place(
        self, parent: uuid.UUID | None, kind: str, name: str, name_en: str = "", code: str = ""
    ) -> uuid.UUID:
        data = LocationCreate(
            site_id=self.site_id,
            parent_id=parent,
            kind=kind,
            name=name,
            name_en=name_en,
            code=code,
        )
        location_id = (await locations.create_location(self.caller, data)).id
        self.places.append((location_id, kind, code))
        return location_id

    async def asset(
        self,
        where: uuid.UUID,
        category: str,
        name: str,
        name_en: str,
        prefix: str,
        keeper: str = "maintainer",
        **attributes: str | int,
    ) -> None:
        number = self.counters.get(prefix, 0) + 1
        self.counters[prefix] = number
        data = AssetCreate(
            site_id=self.site_id,
            location_id=where,
            category=category,
            name=name,
            name_en=name_en,
            asset_number=f"{prefix}-{number:03d}",
            attributes=dict(attributes),
            keeper_id=self.keepers[keeper],
        )
        await assets.create_asset(self.caller, data)
        self.assets += 1

    async def water_dispenser(self, where: uuid.UUID) -> None:
        await self.asset(
            where,
            "water_dispenser",
            "直饮水机",
            "Drinking-water dispenser",
            "YSJ",
            keeper="manager",
        )

    async def extinguisher(self, where: uuid.UUID, made: int) -> None:
        # Dry-powder extinguishers: 10-year service life from manufacture (GA 95).
        made_on = dt.date(made, 3 + self.assets % 9, 1 + self.assets % 27)
        await self.asset(
            where,
            "fire_extinguisher",
            "手提式干粉灭火器 MFZ/ABC4",
            "ABC dry powder extinguisher 4 kg",
            "MHQ",
            extinguisher_type="MFZ/ABC4",
            manufactured_date=made_on.isoformat(),
            expiry_date=made_on.replace(year=made + 10).isoformat(),
        )


async def load_demo(settings: Settings) -> str:
    existing = await sites.find_site(SITE)
    if existing is not None:
        return f"demo school {SITE} is already loaded (nothing changed)"
    async with transaction():
        org_id = await sites.create_organization(ORGANIZATION)
        await templates.install_library(org_id)
        site_id = await sites.create_site(
            org_id, SiteCreate(name=SITE, name_en=SITE_EN, timezone="Asia/Shanghai")
        )
        keepers: dict[str, uuid.UUID] = {}
        audit_end = clock.utcnow() + dt.timedelta(days=90)
        for username, display_name, role in PEOPLE:
            user_id = await users.create_user(
                organization_id=org_id,
                username=username,
                display_name=display_name,
                password=DEMO_PASSWORD,
                hashing=settings.password_hashing,
            )
            await users.set_membership(
                user_id, site_id, role, audit_end if role == "auditor" else None
            )
            keepers[username] = user_id
        caller = await users.load_caller(keepers["admin"])
        assert caller is not None
        builder = _Builder(caller, site_id, keepers)
        await _build_school(builder)
        issued = await tags.issue_missing_tags(caller, site_id, "all")
        inspector = await users.load_caller(keepers["inspector"])
        manager = await users.load_caller(keepers["manager"])
        assert inspector is not None and manager is not None
        kept, checked = await keep_routine(manager, inspector, site_id, builder.places)
        patrols = await walk_patrols(site_id, keepers, builder.spots)
        # The visitors' ID numbers are hashed with the key the server will use.
        use_secret_key(settings.secret_key)
        gatekeeper = await users.load_caller(keepers["gatekeeper"])
        assert gatekeeper is not None
        gate = await register_week(
            site_id,
            keepers,
            {"gatekeeper": gatekeeper, "manager": manager, "inspector": inspector},
            "Asia/Shanghai",
        )
    return (
        f"demo school {SITE} loaded: {builder.assets} assets, "
        f"{issued.issued} tags, {len(PEOPLE)} accounts, a school calendar, {kept} schedules, "
        f"{checked} inspections over the last {HISTORY_DAYS} days, {patrols.schedules} patrol "
        f"routes with their schedules and {patrols.rounds} rounds walked on them, and a week "
        f"of {gate.visits} visits at the gate ({gate.inside} inside now), {gate.passes} "
        f"early-leave passes and {gate.cards} pick-up cards"
    )


async def sample_tag(settings: Settings) -> str | None:
    """The URL in the QR of the demo school's first extinguisher, to try in a browser."""
    site = await sites.find_site(SITE)
    if site is None:
        return None
    admin_user = await users.find_user("admin")
    assert admin_user is not None, "the demo school has its admin"
    admin = await users.load_caller(admin_user["id"])
    assert admin is not None
    page = await assets.list_assets(
        admin, site_id=site["id"], category="fire_extinguisher", limit=1
    )
    if not page.items:
        return None
    found = await tags.list_tags(
        admin, asset_id=page.items[0].id, public_url=settings.public_url, limit=1
    )
    return found.items[0].url if found.items else None


async def _build_school(b: _Builder) -> None:
    # 教学楼A: four floors of five classrooms; 教学楼B: three floors of six.
    for building, building_en, floors, per_floor, code in (
        ("教学楼A", "Teaching Building A", 4, 5, "A"),
        ("教学楼B", "Teaching Building B", 3, 6, "B"),
    ):
        building_id = await b.place(None, "building", building, building_en, code)
        for floor in range(1, floors + 1):
            floor_id = await b.place(building_id, "floor", f"{floor}F", f"Floor {floor}")
            corridor = await b.place(
                floor_id, "corridor", f"{floor}楼走廊", f"Floor {floor} corridor"
            )
            stairs = await b.place(
                floor_id, "stairwell", f"{floor}楼楼梯间", f"Floor {floor} stairwell"
            )
            toilets = await b.place(floor_id, "room", f"{floor}楼卫生间", f"Floor {floor} toilets")
            b.spots |= {
                f"{code}{floor}_corridor": corridor,
                f"{code}{floor}_stairs": stairs,
                f"{code}{floor}_toilets": toilets,
            }
            await b.extinguisher(stairs, 2020 + floor % 4)
            await b.asset(stairs, "emergency_light", "应急照明灯", "Emergency light", "YJD")
            await b.asset(stairs, "exit_sign", "安全出口指示标志", "Exit sign", "CKB")
            for room in range(1, per_floor + 1):
                room_code = f"{code}{floor}{room:02d}"
                room_id = await b.place(
                    floor_id,
                    "room",
                    f"{floor}年级{room}班教室" if code == "A" else f"{room_code}教室",
                    f"Classroom {room_code}",
                    room_code,
                )
                if room == 1:
                    await b.water_dispenser(room_id)
            await b.place(
                floor_id,
                "room",
                f"{floor}楼教师办公室",
                f"Floor {floor} staff office",
                f"{code}{floor}00",
            )
            await b.extinguisher(corridor, 2019 + floor % 4)
            await b.extinguisher(corridor, 2020 + floor % 3)
            if floor % 2 == 1:
                await b.extinguisher(corridor, 2018)
            await b.asset(
                corridor,
                "electrical_panel",
                f"{code}栋{floor}层配电箱",
                f"Building {code} floor {floor} distribution box",
                "PDX",
            )
            await b.asset(corridor, "fire_hydrant_box", "室内消火栓箱", "Indoor hydrant box", "XHS")
            await b.asset(corridor, "emergency_light", "应急照明灯", "Emergency light", "YJD")
            await b.asset(corridor, "exit_sign", "安全出口指示标志", "Exit sign", "CKB")

    complex_id = await b.place(None, "building", "综合楼", "Complex Building", "C")
    ground = await b.place(complex_id, "floor", "1F", "Floor 1")
    kitchen = await b.place(ground, "kitchen", "学生食堂后厨", "Canteen kitchen", "C101")
    dining = await b.place(ground, "room", "学生餐厅", "Dining hall", "C102")
    store = await b.place(ground, "room", "食品库房", "Food storeroom", "C103")
    clinic = await b.place(ground, "room", "医务室", "School clinic", "C104")
    duty = await b.place(ground, "room", "总务处", "General affairs office", "C105")
    b.spots |= {"kitchen": kitchen, "dining": dining, "clinic": clinic, "duty": duty}
    for name, name_en in (
        ("双眼燃气灶（一）", "Double gas range 1"),
        ("双眼燃气灶（二）", "Double gas range 2"),
        ("燃气蒸饭柜", "Gas rice steamer"),
        ("燃气总阀及管道", "Gas main valve and pipes"),
    ):
        await b.asset(kitchen, "kitchen_gas", name, name_en, "RQ", keeper="manager")
    await b.asset(
        kitchen,
        "disinfection_cabinet",
        "红外线消毒柜",
        "Infrared disinfection cabinet",
        "XDG",
        keeper="manager",
    )
    await b.asset(
        kitchen, "refrigerator", "留样冰箱", "Food-sample refrigerator", "BX", keeper="manager"
    )
    await b.asset(store, "refrigerator", "冷藏柜", "Chiller", "BX", keeper="manager")
    await b.asset(store, "refrigerator", "冷冻柜", "Freezer", "BX", keeper="manager")
    for _ in range(3):
        await b.extinguisher(kitchen, 2022)
    await b.extinguisher(store, 2021)
    await b.extinguisher(clinic, 2023)
    await b.extinguisher(dining, 2022)
    await b.extinguisher(dining, 2023)
    await b.extinguisher(duty, 2021)
    sports = await b.place(ground, "room", "体育器材室", "Sports equipment store", "C106")
    for name, name_en in (
        ("体操垫（10张）", "Gymnastics mats (10)"),
        ("跳高架", "High-jump stands"),
        ("移动篮球架", "Mobile basketball hoop"),
    ):
        await b.asset(sports, "sports_equipment", name, name_en, "TY", keeper="manager")
    await b.asset(duty, "fire_alarm_panel", "火灾报警控制器", "Fire alarm control panel", "BJ")
    for floor in (2, 3):
        floor_id = await b.place(complex_id, "floor", f"{floor}F", f"Floor {floor}")
        for room, (name, name_en) in enumerate(
            (
                ("图书馆", "Library"),
                ("音乐教室", "Music room"),
                ("美术教室", "Art room"),
                ("计算机教室", "Computer room"),
                ("会议室", "Meeting room"),
            )
            if floor == 2
            else (
                ("科学实验室", "Science lab"),
                ("心理咨询室", "Counselling room"),
                ("教师办公室", "Staff room"),
                ("档案室", "Records room"),
                ("广播室", "Broadcast room"),
            ),
            start=1,
        ):
            room_id = await b.place(floor_id, "room", name, name_en, f"C{floor}{room:02d}")
            b.spots[f"C{floor}{room:02d}"] = room_id
            if room in (1, 4):
                await b.extinguisher(room_id, 2020 + room)
            if room == 3:
                await b.water_dispenser(room_id)
        await b.asset(
            floor_id,
            "electrical_panel",
            f"综合楼{floor}层配电箱",
            f"Complex building floor {floor} distribution box",
            "PDX",
        )
        await b.asset(floor_id, "fire_hydrant_box", "室内消火栓箱", "Indoor hydrant box", "XHS")
        await b.asset(floor_id, "emergency_light", "应急照明灯", "Emergency light", "YJD")

    grounds = await b.place(None, "outdoor", "校园室外", "School grounds", "OUT")
    playground = await b.place(grounds, "playground", "幼儿游乐区", "Play area", "P1")
    for name, name_en in (
        ("组合滑梯", "Combination slide"),
        ("秋千（双座）", "Double swing"),
        ("攀爬架", "Climbing frame"),
        ("跷跷板", "Seesaw"),
        ("平衡木", "Balance beam"),
        ("转椅", "Roundabout"),
    ):
        await b.asset(playground, "playground_equipment", name, name_en, "YL", keeper="manager")
    field_id = await b.place(grounds, "playground", "田径运动场", "Sports field", "P2")
    for name, name_en in (
        ("篮球架（东）", "Basketball stand east"),
        ("篮球架（西）", "Basketball stand west"),
        ("单杠", "Horizontal bar"),
        ("双杠", "Parallel bars"),
    ):
        await b.asset(field_id, "playground_equipment", name, name_en, "YL", keeper="manager")
    b.spots |= {"play_area": playground, "field": field_id}
    gate = await b.place(grounds, "gate", "学校大门门卫室", "Main gate lodge", "G1")
    b.spots["gate"] = gate
    await b.extinguisher(gate, 2022)
    await b.asset(gate, "emergency_light", "应急照明灯", "Emergency light", "YJD")
    await b.place(grounds, "gate", "北侧门", "North side gate", "G2")
    garage = await b.place(grounds, "area", "非机动车棚", "Bicycle shed", "S1")
    b.spots["bicycle_shed"] = garage
    await b.extinguisher(garage, 2021)
    await b.extinguisher(garage, 2023)
    await _build_dormitory(b)


async def _build_dormitory(b: _Builder) -> None:
    # 学生宿舍楼: the boarders' three floors of six rooms, a housemaster's duty room at the
    # door; patrolled every two hours at night.
    dorm = await b.place(None, "building", "学生宿舍楼", "Student dormitory", "D")
    for floor in (1, 2, 3):
        floor_id = await b.place(dorm, "floor", f"{floor}F", f"Floor {floor}")
        if floor == 1:
            b.spots["D_duty"] = await b.place(
                floor_id, "room", "宿管值班室", "Housemaster's duty room", "D100"
            )
        corridor = await b.place(floor_id, "corridor", f"{floor}楼走廊", f"Floor {floor} corridor")
        stairs = await b.place(
            floor_id, "stairwell", f"{floor}楼楼梯间", f"Floor {floor} stairwell"
        )
        b.spots |= {f"D{floor}_corridor": corridor, f"D{floor}_stairs": stairs}
        for room in range(1, 7):
            await b.place(
                floor_id,
                "dormitory",
                f"{floor}{room:02d}宿舍",
                f"Dormitory room {floor}{room:02d}",
                f"D{floor}{room:02d}",
            )
        await b.extinguisher(corridor, 2022 + floor % 2)
        await b.asset(stairs, "emergency_light", "应急照明灯", "Emergency light", "YJD")
        await b.asset(stairs, "exit_sign", "安全出口指示标志", "Exit sign", "CKB")
        if floor == 1:
            await b.asset(
                corridor, "electrical_panel", "宿舍楼配电箱", "Dormitory distribution box", "PDX"
            )
