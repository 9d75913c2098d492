"""The {{department}} adapter ({{id}}), written in Python.

It serves the department's service catalogue: `matters.list` reads the legacy
system's `GET {endpoint}/matters`, a JSON list such as

    [{"code": "330122-XX-GG-001", "name": "示例事项", "days": 5,
      "online": 1, "updated": "2026年12月1日"}]

and turns each entry into a matter of the onewindow contract. Change the
reading to your department's format, record fixtures against its system
(`onewindow adapter test . --fixtures fixtures --record`), and add the `cases`
and `licenses` interfaces when the department takes applications or issues
licenses (see the onewindow README, "Adapters in Python").
"""

import json

from componentize_py_types import Err
from wit_world import exports
from wit_world.imports import codecs, common, host
from wit_world.imports.common import AdapterError_Invalid, AdapterError_Unavailable

import onewindow_http


def require_config(key: str) -> str:
    value = host.config(key)
    if value is None:
        raise Err(AdapterError_Invalid(f"the adapter's manifest has no `{key}` in its [config] table"))
    return value


def entry_error(i: int, what: str) -> Err:
    return Err(AdapterError_Unavailable(f"the catalogue's entry {i + 1} {what}"))


class Matters(exports.Matters):
    def list(self):
        url = require_config("endpoint").rstrip("/") + "/matters"
        try:
            response = onewindow_http.request("GET", url, timeout_ms=4000)
        except onewindow_http.HttpError as e:
            kind = AdapterError_Unavailable if e.retryable else AdapterError_Invalid
            raise Err(kind(e.message)) from None
        if response.status != 200:
            raise Err(AdapterError_Unavailable(f"{url} answered HTTP {response.status}; try again later"))
        try:
            # Legacy systems often write GBK; the host's codecs read any charset strictly.
            entries = json.loads(codecs.decode(response.body, require_config("charset")))
        except Err as e:
            raise Err(AdapterError_Unavailable(f"the catalogue is not {require_config('charset')} text: {e.value}")) from None
        except ValueError as e:
            raise Err(AdapterError_Unavailable(f"the catalogue is not JSON: {e}")) from None
        if not isinstance(entries, list):
            raise Err(AdapterError_Unavailable("the catalogue is not a JSON list"))
        matters = []
        for i, entry in enumerate(entries):
            if not isinstance(entry, dict):
                raise entry_error(i, "is not an object")
            for key, kind in (("code", str), ("name", str), ("days", int), ("online", int), ("updated", str)):
                if not isinstance(entry.get(key), kind):
                    raise entry_error(i, f"has no {key} of the right kind")
            try:
                codecs.parse_date(entry["updated"])
            except Err as e:
                raise entry_error(i, f"has an updated date that is not one: {e.value}") from None
            matters.append(
                common.Matter(
                    code=entry["code"],
                    name=entry["name"],
                    department=require_config("department"),
                    kind=common.MatterKind.PUBLIC_SERVICE,
                    legal_days=entry["days"],
                    promised_days=entry["days"],
                    visits=0 if entry["online"] else 1,
                    online=bool(entry["online"]),
                    fee="不收费",
                    conditions="",
                    materials=[],
                    form=[],
                )
            )
        return matters
