from typing import Any

from checklists.decoding import parse_template
from checklists.templates import Template

SHA_A = "a" * 64
SHA_B = "0123456789abcdef" * 4


def label(english: str) -> dict[str, str]:
    return {"zh-CN": f"{english}（中文）", "en": english}


def item(type_: str, key: str, **fields: Any) -> dict[str, Any]:
    return {"type": type_, "key": key, "label": label(key), **fields}


def template_data(*items: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {
        "key": "test_checklist",
        "version": 1,
        "title": label("Test checklist"),
        "category": "fire",
        "applies_to": {"asset_categories": ["fire_extinguisher"]},
        "frequency": {"every": "monthly"},
        "items": list(items),
        **fields,
    }


def make_template(*items: dict[str, Any], **fields: Any) -> Template:
    return parse_template(template_data(*items, **fields))
