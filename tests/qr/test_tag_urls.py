import pytest

from qr.codes import InvalidTagCode
from qr.urls import code_from_url, tag_url

CODE = "K7QMX3PX"


def test_tag_url_joins_public_url_and_code() -> None:
    expected = f"https://roundkeeper.school.example.cn/t/{CODE}"
    assert tag_url("https://roundkeeper.school.example.cn", CODE) == expected
    assert tag_url("https://roundkeeper.school.example.cn/", CODE) == expected
    assert tag_url("https://roundkeeper.school.example.cn//", "k7qm-x3px") == expected
    assert (
        tag_url("https://school.example.cn/rk/", CODE) == f"https://school.example.cn/rk/t/{CODE}"
    )


def test_tag_url_refuses_an_invalid_code() -> None:
    with pytest.raises(InvalidTagCode):
        tag_url("https://roundkeeper.school.example.cn", "K7QMX3P9")


@pytest.mark.parametrize(
    "url",
    [
        f"https://roundkeeper.school.example.cn/t/{CODE}",
        f"http://192.168.1.20:8000/t/{CODE}",
        f"https://school.example.cn/rk/t/{CODE}/",
        f"https://roundkeeper.school.example.cn/t/{CODE}?utm_source=label#top",
        "https://roundkeeper.school.example.cn/t/k7qm-x3px",
        "https://roundkeeper.school.example.cn/t/K7QM%20X3PX",
    ],
)
def test_code_is_read_back_from_any_host_normalized(url: str) -> None:
    assert code_from_url(url) == CODE


@pytest.mark.parametrize(
    "url",
    [
        "https://roundkeeper.school.example.cn/t/K7QMX3P9",  # check character wrong
        "https://roundkeeper.school.example.cn/t/",
        f"https://roundkeeper.school.example.cn/t/{CODE}/edit",
        f"https://roundkeeper.school.example.cn/assets/{CODE}",
        f"https://roundkeeper.school.example.cn/?t={CODE}",
        "not a url",
    ],
)
def test_urls_without_a_valid_code_give_none(url: str) -> None:
    assert code_from_url(url) is None


def test_round_trip() -> None:
    assert code_from_url(tag_url("https://roundkeeper.school.example.cn", CODE)) == CODE
