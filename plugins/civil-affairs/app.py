"""The 县民政局 adapter, written in Python: translates the department's
婚姻登记和社会救助信息系统 (XML 报文 in GB 18030 over HTTP, see
`examples/legacy-systems/civil-affairs.md`) into the onewindow contract's
`matters`, `cases` and `licenses`.

GB 18030 and the Chinese dates go through the host's `codecs` interface, the
same code the platform and the Rust adapters use; HTTP goes through
`onewindow_http` (plugins/sdk/python). Every answer the system gives is read
strictly: anything it should not say becomes `unavailable` with what was wrong.
The system does not push, so `on-notify` refuses everything.
"""

import base64
import re
from datetime import datetime, timedelta, timezone
from typing import List, Optional
from xml.etree import ElementTree

from componentize_py_types import Err
from wit_world import exports
from wit_world.imports import codecs, common, host
from wit_world.imports.common import (
    AdapterError_Invalid,
    AdapterError_NotFound,
    AdapterError_Refused,
    AdapterError_Unavailable,
)

import onewindow_http

CHARSET = "GB18030"
# Gives up on the system a little before the host's call timeout (5 s in the
# manifest); `timeout-ms` in the manifest's [config] overrides it.
DEFAULT_TIMEOUT_MS = 4000
BEIJING = timezone(timedelta(hours=8))

MATTER_KINDS = {
    "01": common.MatterKind.ADMINISTRATIVE_LICENSE,
    "02": common.MatterKind.ADMINISTRATIVE_CONFIRMATION,
    "03": common.MatterKind.ADMINISTRATIVE_PAYMENT,
    "04": common.MatterKind.ADMINISTRATIVE_RULING,
    "05": common.MatterKind.ADMINISTRATIVE_REWARD,
    "06": common.MatterKind.OTHER_POWER,
    "07": common.MatterKind.PUBLIC_SERVICE,
}
FIELD_KINDS = {
    "T": common.FieldKind_Text,
    "D": common.FieldKind_Date,
    "N": common.FieldKind_Number,
    "S": common.FieldKind_IdNumber,
    "Z": common.FieldKind_CreditCode,
    "A": common.FieldKind_Address,
}
PARTY_FIELDS = {
    "XM": common.PartyField.NAME,
    "SFZ": common.PartyField.ID_NUMBER,
    "XYDM": common.PartyField.CREDIT_CODE,
    "ZZ": common.PartyField.ADDRESS,
    "DH": common.PartyField.PHONE,
    "FR": common.PartyField.LEGAL_REPRESENTATIVE,
}
CASE_STATUSES = {
    "01": common.CaseStatus.IN_REVIEW,
    "02": common.CaseStatus.SUPPLEMENT_REQUESTED,
    "03": common.CaseStatus.SPECIAL_PROCEDURE,
    "05": common.CaseStatus.APPROVED,
    "06": common.CaseStatus.DENIED,
    "09": common.CaseStatus.COMPLETED,
}
LICENSE_STATUSES = {
    "1": common.LicenseStatus.VALID,
    "2": common.LicenseStatus.REVOKED,
    "3": common.LicenseStatus.EXPIRED,
}
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
# The XML declaration and its encoding, read before the text is decoded.
DECLARATION = re.compile(rb"\s*<\?xml[^>]*?encoding=[\"']([A-Za-z0-9._-]+)[\"'][^>]*\?>")


def invalid(message: str) -> Err:
    return Err(AdapterError_Invalid(message))


def unavailable(message: str) -> Err:
    return Err(AdapterError_Unavailable(message))


def require_config(key: str) -> str:
    value = host.config(key)
    if value is None:
        raise invalid(f"the adapter's manifest has no `{key}` in its [config] table")
    return value


def timeout_ms() -> int:
    text = host.config("timeout-ms")
    if text is None:
        return DEFAULT_TIMEOUT_MS
    if text.strip().isdigit() and int(text) > 0:
        return int(text)
    raise invalid(
        f'the adapter\'s manifest has timeout-ms = "{text}" in its [config] table; '
        "expected a positive number of milliseconds"
    )


def escape(text: str) -> str:
    return (
        text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    )


def leaf(name: str, text: str) -> str:
    return f"<{name}>{escape(text)}</{name}>"


class Answer:
    """An element of a successful answer, whose missing or wrong parts are
    reported with the transaction and the path to them."""

    def __init__(self, jydm: str, element: ElementTree.Element, path: str):
        self.jydm = jydm
        self.element = element
        self.path = path

    def error(self, what: str) -> Err:
        return unavailable(f"the answer to {self.jydm} {what}")

    def text(self, name: str, meaning: str) -> str:
        found = self.element.find(name)
        if found is None:
            raise self.error(f"has no {self.path}{name} ({meaning})")
        return (found.text or "").strip()

    def required(self, name: str, meaning: str) -> str:
        value = self.text(name, meaning)
        if not value:
            raise self.error(f"has an empty {self.path}{name} ({meaning})")
        return value

    def optional(self, name: str) -> Optional[str]:
        found = self.element.find(name)
        value = (found.text or "").strip() if found is not None else ""
        return value or None

    def code(self, name: str, meaning: str, codes: dict):
        value = self.required(name, meaning)
        if value not in codes:
            raise self.error(
                f"has {self.path}{name} ({meaning}) {value!r}; expected one of {', '.join(codes)}"
            )
        return codes[value]

    def number(self, name: str, meaning: str) -> int:
        value = self.required(name, meaning)
        if not value.isdigit():
            raise self.error(f"has {self.path}{name} ({meaning}) {value!r}; expected a whole number")
        return int(value)

    def date(self, name: str, meaning: str) -> str:
        try:
            return codecs.parse_date(self.required(name, meaning))
        except Err as e:
            raise self.error(f"has {self.path}{name} ({meaning}) that is not a date: {e.value}") from None

    def instant(self, name: str, meaning: str) -> str:
        try:
            return codecs.parse_datetime(self.required(name, meaning)) + "+08:00"
        except Err as e:
            raise self.error(f"has {self.path}{name} ({meaning}) that is not a time: {e.value}") from None

    def children(self, name: str, child: str) -> List["Answer"]:
        found = self.element.find(name)
        if found is None:
            raise self.error(f"has no {self.path}{name}")
        return [
            Answer(self.jydm, e, f"{self.path}{name}/{child}[{i + 1}]/")
            for i, e in enumerate(found.findall(child))
        ]

    def child(self, name: str, meaning: str) -> "Answer":
        found = self.element.find(name)
        if found is None:
            raise self.error(f"has no {self.path}{name} ({meaning})")
        return Answer(self.jydm, found, f"{self.path}{name}/")


def call(jydm: str, content: str = "") -> Optional[Answer]:
    """Sends one transaction and returns its `BWN`; `None` for 2001 (无此记录).
    Every other failure code becomes the contract's error."""
    endpoint = require_config("endpoint")
    message = (
        f'<?xml version="1.0" encoding="{CHARSET}"?>'
        f"<BW><BWT><JYDM>{jydm}</JYDM><XTBS>onewindow</XTBS></BWT><BWN>{content}</BWN></BW>"
    )
    try:
        response = onewindow_http.post(
            endpoint,
            f"text/xml; charset={CHARSET}",
            codecs.encode(message, CHARSET),
            timeout_ms(),
        )
    except onewindow_http.HttpError as e:
        raise (unavailable if e.retryable else invalid)(e.message) from None
    if response.status in (404, 405):
        raise invalid(
            f"the 民政 system answered HTTP {response.status} to {jydm}: the adapter's "
            "[config] endpoint does not point at its interface (it ends in /mzxt/jk)"
        )
    if response.status != 200:
        raise unavailable(f"the 民政 system answered HTTP {response.status} to {jydm}; try again later")
    # The system writes GB 18030 and says so; a declaration of anything else is
    # believed, so that bytes that do not match it are reported, not misread.
    declared = DECLARATION.match(response.body)
    charset = declared.group(1).decode("ascii") if declared else CHARSET
    try:
        text = codecs.decode(response.body, charset)
    except Err as e:
        raise unavailable(f"the answer to {jydm} is not {charset} text: {e.value}") from None
    text = text[declared.end() :] if declared else text
    try:
        root = ElementTree.fromstring(text)
    except ElementTree.ParseError as e:
        raise unavailable(f"the answer to {jydm} is not well-formed XML: {e}") from None
    if root.tag != "BW":
        raise unavailable(f"the answer to {jydm} is a <{root.tag}>, not the interface's <BW>")
    answer = Answer(jydm, root, "")
    head = answer.child("BWT", "报文头")
    code = head.required("FHDM", "返回代码")
    said = head.optional("FHXX") or "no reason given"
    if code == "0000":
        return answer.child("BWN", "报文内容")
    if code == "2001":
        return None
    if code in ("1001", "1002"):
        raise invalid(f"the 民政 system rejected {jydm} (code {code}): {said}")
    if code in ("2002", "2003"):
        raise Err(AdapterError_Refused(said))
    if code == "9999":
        raise unavailable(f"the 民政 system failed on {jydm} (code 9999): {said}; try again later")
    raise unavailable(
        f"the answer to {jydm} has code {code} (返回代码), which the interface does not define; "
        f"message: {said}"
    )


def found(jydm: str, content: str, what: str) -> Answer:
    answer = call(jydm, content)
    if answer is None:
        raise Err(AdapterError_NotFound(f"the 民政 system has no {what} (code 2001)"))
    return answer


def holder_id(party) -> tuple:
    if isinstance(party, common.Party_Person):
        return "SFZ", party.value.id_number, party.value.name
    return "XYDM", party.value.credit_code, party.value.name


def party(answer: Answer):
    kind = answer.code("ZJLX", "证件类型", {"SFZ": "SFZ", "XYDM": "XYDM"})
    number = answer.required("ZJHM", "证件号码")
    name = answer.required("XM", "姓名")
    if kind == "SFZ":
        return common.Party_Person(common.Person(id_number=number, name=name))
    return common.Party_Organization(common.Organization(credit_code=number, name=name))


def license_of(answer: Answer) -> common.License:
    valid_until = answer.optional("YXQZ")
    return common.License(
        type_code=answer.required("ZZLXDM", "证照类型代码"),
        type_name=answer.required("ZZLXMC", "证照类型名称"),
        number=answer.required("ZZBH", "证照编号"),
        holder=party(answer.child("CZR", "持证人")),
        issuer=answer.required("FZJG", "发证机关"),
        issued_on=answer.date("FZRQ", "发证日期"),
        valid_until=answer.date("YXQZ", "有效期至") if valid_until else None,
        status=answer.code("ZT", "证照状态", LICENSE_STATUSES),
        face=[
            common.Field(key=x.required("ZDM", "字段名"), value=x.text("Z", "值"))
            for x in answer.children("ZMXX", "X")
        ],
    )


def chinese_time(rfc3339: str) -> str:
    """`2026-12-07T14:03:05+08:00` as the system writes times, in Beijing time."""
    try:
        at = datetime.fromisoformat(rfc3339).astimezone(BEIJING)
    except ValueError:
        raise invalid(f"the acceptance time {rfc3339!r} is not an RFC 3339 time") from None
    day = codecs.format_date(at.date().isoformat(), codecs.DateStyle.CHINESE)
    return f"{day} {at.hour:02}时{at.minute:02}分{at.second:02}秒"


def files(attachments: List[common.Attachment]) -> str:
    return "".join(
        "<F>"
        + leaf("CLBM", a.material_code)
        + leaf("WJM", a.file_name)
        + leaf("LX", a.media_type)
        + leaf("NR", base64.b64encode(a.content).decode("ascii"))
        + "</F>"
        for a in attachments
    )


def form_value(value: str) -> str:
    """Dates go to the system the Chinese way; everything else as entered."""
    if ISO_DATE.fullmatch(value):
        try:
            return codecs.format_date(value, codecs.DateStyle.CHINESE)
        except Err:
            return value
    return value


class Matters(exports.Matters):
    def list(self) -> List[common.Matter]:
        matters = []
        for sx in found("CXSX", "", "catalogue").children("SXLB", "SX"):
            form = []
            for x in sx.children("BDLB", "BDX"):
                kind = x.required("LX", "类型")
                if kind == "X":
                    field_kind = common.FieldKind_Choice(x.required("XX", "选项").split("|"))
                elif kind in FIELD_KINDS:
                    field_kind = FIELD_KINDS[kind]()
                else:
                    raise x.error(f"has {x.path}LX (类型) {kind!r}; expected one of T, D, N, X, S, Z, A")
                source = x.optional("LY")
                if source is not None and source not in PARTY_FIELDS:
                    raise x.error(f"has {x.path}LY (来源) {source!r}; expected one of {', '.join(PARTY_FIELDS)}")
                form.append(
                    common.FormField(
                        key=x.required("ZDM", "字段名"),
                        label=x.required("BQ", "标签"),
                        kind=field_kind,
                        required=x.code("BX", "必填", {"1": True, "0": False}),
                        from_party=PARTY_FIELDS.get(source) if source else None,
                    )
                )
            matters.append(
                common.Matter(
                    code=sx.required("SXBM", "事项编码"),
                    name=sx.required("SXMC", "事项名称"),
                    department=sx.required("SSJG", "实施机构"),
                    kind=sx.code("SXLX", "事项类型", MATTER_KINDS),
                    legal_days=sx.number("FDSX", "法定时限"),
                    promised_days=sx.number("CNSX", "承诺时限"),
                    visits=sx.number("DCCS", "到场次数"),
                    online=sx.code("WSBL", "网上办理", {"1": True, "0": False}),
                    fee=sx.required("SFBZ", "收费标准"),
                    conditions=sx.text("SLTJ", "受理条件"),
                    materials=[
                        common.Material(
                            code=cl.required("CLBM", "材料编码"),
                            name=cl.required("CLMC", "材料名称"),
                            required=cl.code("BX", "必须", {"1": True, "0": False}),
                            license_type=cl.optional("ZZLX"),
                        )
                        for cl in sx.children("CLLB", "CL")
                    ],
                    form=form,
                )
            )
        return matters


class Cases(exports.Cases):
    def submit(self, submission: common.CaseSubmission) -> str:
        kind, number, name = holder_id(submission.applicant)
        content = (
            "<SQ>"
            + leaf("PTBH", submission.case_no)
            + leaf("SXBM", submission.matter_code)
            + "<SQR>"
            + leaf("ZJLX", kind)
            + leaf("ZJHM", number)
            + leaf("XM", name)
            + "</SQR>"
            + leaf("SLSJ", chinese_time(submission.accepted_at))
            + "<BD>"
            + "".join(
                "<X>" + leaf("ZDM", f.key) + leaf("Z", form_value(f.value)) + "</X>"
                for f in submission.form
            )
            + "</BD><FJ>"
            + files(submission.attachments)
            + "</FJ><ZZ>"
            + "".join(
                "<Z>"
                + leaf("CLBM", ref.material_code)
                + leaf("ZZLX", ref.license.type_name)
                + leaf("ZZBH", ref.license.number)
                + "</Z>"
                for ref in submission.licenses
            )
            + "</ZZ></SQ>"
        )
        answer = found("TJSQ", content, f"matter {submission.matter_code}")
        return answer.required("YWBH", "业务编号")

    def supplement(self, case_no: str, attachments: List[common.Attachment], note: str) -> None:
        content = leaf("PTBH", case_no) + leaf("SM", note) + "<FJ>" + files(attachments) + "</FJ>"
        found("BZCL", content, f"case {case_no}")

    def withdraw(self, case_no: str, reason: str) -> None:
        content = leaf("PTBH", case_no) + leaf("CHYY", reason.strip() or "申请人申请撤回")
        found("CHSQ", content, f"case {case_no}")

    def events(self, cursor: Optional[str]) -> common.EventPage:
        start = cursor or "0"
        if not start.isdigit():
            raise invalid(f"the cursor {start!r} is not a 序号 of the 民政 system's change log")
        page = found("CXBH", leaf("QSXH", start), "change log")
        events = []
        for bh in page.children("BHLB", "BH"):
            at = bh.instant("BHSJ", "变化时间")
            note = bh.optional("SM") or ""
            if bh.required("ZTDM", "状态代码") == "ZZBG":
                license = license_of(bh.child("ZZ", "证照"))
                events.append(
                    common.Event_LicenseChanged(common.LicenseEvent(license=license, at=at, note=note))
                )
                continue
            status = bh.code("ZTDM", "状态代码", CASE_STATUSES)
            issued = None
            if status == common.CaseStatus.COMPLETED and bh.element.find("ZZ") is not None:
                issued = license_of(bh.child("ZZ", "证照"))
            events.append(
                common.Event_CaseChanged(
                    common.CaseEvent(
                        case_no=bh.required("PTBH", "平台办件编号"),
                        status=status,
                        at=at,
                        note=note,
                        issued=issued,
                    )
                )
            )
        last = page.number("ZDXH", "本页最大序号")
        more = page.code("GD", "更多", {"1": True, "0": False})
        return common.EventPage(events=events, next_cursor=str(last), more=more)

    def on_notify(self, headers: List[common.Field], body: bytes) -> List[common.Event]:
        raise invalid("the 民政 system does not push notifications; its changes are polled")


class Licenses(exports.Licenses):
    def by_holder(self, holder) -> List[common.License]:
        _, number, _ = holder_id(holder)
        answer = call("CXZZ", leaf("ZJHM", number))
        if answer is None:
            return []
        return [license_of(zz) for zz in answer.children("ZZLB", "ZZ")]

    def verify(self, type_code: str, number: str) -> Optional[common.License]:
        answer = call("YZZZ", leaf("ZZLXDM", type_code) + leaf("ZZBH", number))
        if answer is None:
            return None
        return license_of(answer.child("ZZ", "证照"))
