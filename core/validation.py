"""Input no database can store is refused at the door, whatever the endpoint: a NUL character
(PostgreSQL refuses it in text) or an unpaired surrogate (not encodable as UTF-8) anywhere in the
query string, form fields or JSON body is a 422 with a clear message — never a 500 further in."""

from __future__ import annotations

from flask import Flask, request
from flask_babel import lazy_gettext as _l
from werkzeug.routing import IntegerConverter

from core.errors import DomainError

#: ids are INTEGER columns; a larger number cannot name a row
MAX_ID = 2**31 - 1


class IdConverter(IntegerConverter):
    """``<int:…>`` in every route: a number no INTEGER column can hold does not match, so it is a
    plain 404 at routing rather than a database error later."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


def storable(text: str) -> bool:
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(key)
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _unstorable_field() -> str | None:
    for source in (request.args, request.form):
        for key, values in source.lists():
            if not storable(key) or not all(storable(v) for v in values):
                return key if storable(key) else "?"
    if request.is_json:
        body = request.get_json(silent=True)
        if isinstance(body, dict):
            for key, item in body.items():
                if not all(storable(s) for s in _strings({key: item})):
                    return key if storable(key) else "?"
        elif not all(storable(s) for s in _strings(body)):
            return "?"
    return None


def register_input_guard(app: Flask) -> None:
    app.url_map.converters["int"] = IdConverter

    @app.before_request
    def _refuse_unstorable_text():
        field = _unstorable_field()
        if field is not None:
            raise DomainError("bad_text", _l("This text contains characters we cannot store."),
                              field=field, status=422)
