"""The evidence an action carries from its finding to its sign-off: the failing answer read
with the checklist version it was given for, once, when the action is raised. Pure: a
template and answers in, a struct out."""

from __future__ import annotations

import uuid
from typing import Any

from checklists.answers import item_evidence
from checklists.templates import ChoiceItem, DateItem, NumberItem, Template, TextItem
from server.actions.wire import ActionEvidence


def finding_evidence(
    template: Template,
    item_key: str,
    answers: dict[str, Any],
    *,
    inspection_id: uuid.UUID,
    inspection_note: str,
    photos: list[str],
) -> ActionEvidence:
    item = next(i for i in template.items if i.key == item_key)
    answer = answers.get(item_key)
    labels: tuple[str, str] = ("", "")
    if isinstance(item, ChoiceItem):
        chosen = answer if isinstance(answer, list) else [answer]
        options = [o.label for o in item.options if o.value in chosen]
        labels = ("、".join(o.zh_cn for o in options), "; ".join(o.en for o in options))
    return ActionEvidence(
        inspection_id=inspection_id,
        item_key=item_key,
        item_type=str(item.__struct_config__.tag),
        answer=answer,
        answer_label=labels[0],
        answer_label_en=labels[1],
        unit=(item.unit or "") if isinstance(item, NumberItem) else "",
        min=_bound(item.min) if isinstance(item, NumberItem) else None,
        max=_bound(item.max) if isinstance(item, NumberItem) else None,
        not_past=isinstance(item, DateItem) and item.must_not_be_past,
        note=item_note(template, item_key, answers, inspection_note),
        photos=photos,
    )


def item_note(
    template: Template, item_key: str, answers: dict[str, Any], inspection_note: str
) -> str:
    """What the inspector wrote about this item: the note given right under it and the text
    items shown only on its answer; when there are none, every other text answer and the
    inspection's own note."""
    texts = [i for i in template.items if isinstance(i, TextItem)]
    linked = [i for i in texts if i.show_if is not None and i.show_if.item == item_key]
    own = item_evidence(item_key, answers)[1]
    written = [own, *(answers.get(i.key) for i in linked)]
    if not any(isinstance(w, str) and w.strip() for w in written):
        written = [answers.get(i.key) for i in texts if i.show_if is None] + [inspection_note]
    return "\n".join(w.strip() for w in written if isinstance(w, str) and w.strip())


def _bound(value: float | None) -> float | None:
    return None if value is None else float(value)
