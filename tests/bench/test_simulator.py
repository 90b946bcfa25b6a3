"""The device simulator: its answers are valid for every template of the library, and a
run of several devices against the real server ends with exactly what was acknowledged."""

from __future__ import annotations

import io
import random
from datetime import date

import msgspec
import pytest
from PIL import Image

from bench.simulator import Workload, random_answers, simulate, tiny_png
from checklists import evaluate, load_library, validate
from server.accounts import tokens
from tests.factories import make_asset, make_tag
from tests.inspections.helpers import extinguisher_school


@pytest.mark.parametrize("key", sorted(load_library()))
def test_simulated_answers_are_valid_and_fail_when_asked(key):
    template = load_library()[key]
    encoded = msgspec.to_builtins(template)  # as a pulled template's data carries it
    rng = random.Random(key)
    results = []
    for n in range(60):
        answers = random_answers(encoded, rng, fail=n % 2 == 0, photo=lambda: "0" * 64)
        assert validate(template, answers) == []
        results.append(evaluate(template, answers, today=date.today()).result)
    assert "fail" in results


def test_simulated_photos_are_distinct_valid_images():
    rng = random.Random(3)
    first, second = tiny_png(rng), tiny_png(rng)
    assert first != second
    image = Image.open(io.BytesIO(first))
    image.verify()
    assert image.format == "PNG" and image.size == (1, 1)


def test_a_workload_needs_an_end():
    with pytest.raises(ValueError, match="duration or a number"):
        Workload()


async def test_simulated_devices_leave_the_server_with_exactly_what_was_acknowledged(
    clean, tmp_path
):
    school, admin, inspector, first = await extinguisher_school()
    for asset in [first] + [await make_asset(admin, school) for _ in range(3)]:
        await make_tag(admin, asset=asset)
    device_tokens = [
        (await tokens.create_token(inspector.user_id, f"sim-{n}")).token for n in range(3)
    ]
    workload = Workload(total_ops=90, session_ops=(1, 12), photo_rate=0.2, seed=11)
    result = await simulate(
        clean.url, device_tokens, tmp_path, workload, verify_with=inspector.token
    )
    assert result.errors == []
    assert result.made == 90 and result.pending == 0
    assert result.statuses == {"applied": 90}
    photos = sum(path.stat().st_size > 0 for path in tmp_path.glob("photos-*/*.png"))
    assert photos > 0 and result.photos_uploaded == photos
    assert result.verification is not None and result.verification.exact
    assert result.verification.on_server == 90
