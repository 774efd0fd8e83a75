"""The platform's standard tag taxonomy: one list of ``namespace:value`` tags shared by products and
members, so that products can be matched to people. Edited by the operator."""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from accounts.models import Role, User
from core.auth import require
from core.errors import Conflict, DomainError, NotFound
from core.extensions import db
from supplier.access import get_or_none
from supplier.models import Tag
from supplier.validation import TAG_PART, check_pattern, clean_text, flush_or_conflict

#: namespace → [(value, English label, Chinese label)]
STANDARD_TAXONOMY: dict[str, list[tuple[str, str, str]]] = {
    "skin": [("dry", "Dry skin", "干性肌肤"), ("combination", "Combination skin", "混合性肌肤"),
             ("oily", "Oily skin", "油性肌肤"), ("sensitive", "Sensitive skin", "敏感肌肤")],
    "home": [("budget", "Budget-friendly", "经济实用"), ("design", "Design-minded", "设计感")],
    "diet": [("vegetarian", "Vegetarian", "素食"), ("low-sugar", "Low sugar", "低糖"), ("halal", "Halal", "清真"),
             ("gluten-free", "Gluten-free", "无麸质")],
    "taste": [("sweet", "Likes sweet", "偏甜"), ("sour", "Likes sour", "偏酸"), ("spicy", "Likes spicy", "嗜辣")],
    "age": [("baby", "Baby", "婴儿"), ("kids", "Kids", "儿童"), ("senior", "Senior", "长者")],
}

#: how the standard namespaces are shown; an operator's own namespace shows as it is written
NAMESPACE_LABELS = {"skin": _l("Skin type"), "home": _l("Home style"), "diet": _l("Diet"), "taste": _l("Taste"),
                    "age": _l("Age group")}


def namespace_label(namespace: str) -> str:
    return str(NAMESPACE_LABELS.get(namespace, namespace))


def ensure_standard_taxonomy() -> list[Tag]:
    """Create whichever standard tags are missing and return the ones created. Idempotent: existing
    tags are left as they are, including the operator's edits to their labels or activity."""
    existing = {(t.namespace, t.value) for t in db.session.execute(sa.select(Tag)).scalars()}
    created = [Tag(namespace=namespace, value=value, label_en=label_en, label_zh=label_zh)
               for namespace, values in STANDARD_TAXONOMY.items()
               for value, label_en, label_zh in values if (namespace, value) not in existing]
    db.session.add_all(created)
    db.session.flush()
    return created


def tags_by_namespace(include_inactive: bool = False) -> dict[str, list[Tag]]:
    """Tags grouped by namespace, both in alphabetical order."""
    query = sa.select(Tag).order_by(Tag.namespace, Tag.value)
    if not include_inactive:
        query = query.where(Tag.active.is_(True))
    grouped: dict[str, list[Tag]] = {}
    for tag in db.session.execute(query).scalars():
        grouped.setdefault(tag.namespace, []).append(tag)
    return grouped


def resolve_tags(tag_ids: Iterable[int], keep: Iterable[Tag] = (), field: str = "tag_ids") -> list[Tag]:
    """The tags with these ids: active ones, or ones in ``keep`` (already carried, since deactivated).
    Raises ``unknown_tag`` (422) for any other id."""
    wanted = {int(tag_id) for tag_id in tag_ids}
    kept = {tag.id for tag in keep}
    found = {tag.id: tag for tag in db.session.execute(sa.select(Tag).where(Tag.id.in_(wanted))).scalars()} \
        if wanted else {}
    if any(tag_id not in found or not (found[tag_id].active or tag_id in kept) for tag_id in wanted):
        raise DomainError("unknown_tag", _l("Choose tags from the list."), field=field, status=422)
    return sorted(found.values(), key=lambda tag: (tag.namespace, tag.value))


def _require_operator(actor: User) -> None:
    require(actor.has_role(Role.OPERATOR))


def _clean_tag_fields(namespace: str, value: str, label_en: str, label_zh: str) -> dict:
    message = _l("Use lowercase letters, digits and hyphens only.")
    namespace = check_pattern(clean_text(namespace, field="namespace", max_length=32).lower(), TAG_PART,
                              field="namespace", message=message)
    value = check_pattern(clean_text(value, field="value", max_length=32).lower(), TAG_PART, field="value",
                          message=message)
    return {"namespace": namespace, "value": value,
            "label_en": clean_text(label_en, field="label_en", max_length=64),
            "label_zh": clean_text(label_zh, field="label_zh", max_length=64)}


def _tag_taken(namespace: str, value: str) -> Conflict:
    return Conflict("tag_taken", _l("The tag %(code)s already exists.", code=f"{namespace}:{value}"),
                    field="value")


def _refuse_duplicate(namespace: str, value: str, tag_id: int | None = None) -> None:
    query = sa.select(Tag.id).where(Tag.namespace == namespace, Tag.value == value)
    if tag_id is not None:
        query = query.where(Tag.id != tag_id)
    if db.session.execute(query).first() is not None:
        raise _tag_taken(namespace, value)


def create_tag(actor: User, *, namespace: str, value: str, label_en: str, label_zh: str) -> Tag:
    """A new active tag. Raises ``forbidden`` for non-operators, ``tag_taken`` (409) when
    ``namespace:value`` exists, and ``required`` / ``too_long`` / ``bad_format`` on a field."""
    _require_operator(actor)
    values = _clean_tag_fields(namespace, value, label_en, label_zh)
    _refuse_duplicate(values["namespace"], values["value"])
    tag = Tag(**values)
    db.session.add(tag)
    flush_or_conflict(_tag_taken(values["namespace"], values["value"]))
    return tag


def update_tag(actor: User, tag_id: int, *, namespace: str | None = None, value: str | None = None,
               label_en: str | None = None, label_zh: str | None = None, active: bool | None = None) -> Tag:
    """Change a tag; omitted values stay. Same errors as ``create_tag``, plus ``not_found``."""
    _require_operator(actor)
    tag = get_or_none(Tag, tag_id)
    if tag is None:
        raise NotFound()
    values = _clean_tag_fields(tag.namespace if namespace is None else namespace,
                               tag.value if value is None else value,
                               tag.label_en if label_en is None else label_en,
                               tag.label_zh if label_zh is None else label_zh)
    _refuse_duplicate(values["namespace"], values["value"], tag_id=tag.id)
    for name, new in values.items():
        setattr(tag, name, new)
    if active is not None:
        tag.active = bool(active)
    flush_or_conflict(_tag_taken(values["namespace"], values["value"]))
    return tag


def set_tag_active(actor: User, tag_id: int, active: bool) -> Tag:
    """Deactivate (or reactivate) a tag: an inactive tag is no longer offered for choosing or used for
    matching, but stays on whatever carries it. Raises ``forbidden`` or ``not_found``."""
    return update_tag(actor, tag_id, active=active)
