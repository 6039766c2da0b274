"""One exported line per case, shared by the workbook and the CSV: the columns, and a
case's values in them, personal data masked unless the export reveals it."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from core.identity import Contact, mask_name, mask_phone, redact
from reports.figure_rows import CATALOG_PREFIX, key_name
from storage.case_export import EXPORTED, CaseExportRow

# Chinese first for the bank's readers, the stored field's name after it.
COLUMNS = (
    "编号 number",
    "类型 type",
    "状态 status",
    "优先级 priority",
    "受理渠道 intake_channel",
    "业务渠道 channel (JR/T A)",
    "业务类型 business_type (JR/T B)",
    "投诉原因 cause (JR/T C)",
    "标签 tags",
    "网点 branch",
    "部门 department",
    "承办人 assignee",
    "受理时间 received_at",
    "承诺期限 promised_due_at",
    "当前期限 due_at",
    "法定期限 legal_due_at",
    "答复时间 resolved_at",
    "关闭时间 closed_at",
    "满意度 satisfaction",
    "建议决定 decision",
    "合并至 merged_into",
    "客户平台 customer_platform",
    "客户账号 customer_id",
    "姓名 name",
    "电话 phone",
    "描述 description",
    "诉求 desired_outcome",
    "处理结果 resolution",
)
if len(COLUMNS) != len(EXPORTED):
    raise RuntimeError("reports.case_rows.COLUMNS must name every column exported")

# Where in a row what needs more than copying is.
_AT = {column.name: i for i, column in enumerate(EXPORTED)}
_TAGS = _AT["tags"]
_TIMES = [i for i, column in enumerate(EXPORTED) if column.name.endswith("_at")]
_USER_ID, _NAME, _PHONE = _AT["customer_user_id"], _AT["contact_name"], _AT["contact_phone"]
_TEXTS = [_AT["description"], _AT["desired_outcome"], _AT["resolution"]]
_CODED = [(i, column.name) for i, column in enumerate(EXPORTED) if column.name in CATALOG_PREFIX]


def case_values(row: CaseExportRow, tz: ZoneInfo, *, reveal: bool) -> list[Any]:
    """The values of one case, in `COLUMNS` order; times in bank time without a zone (a
    spreadsheet cell has none)."""
    values = list(row)
    values[_TAGS] = ", ".join(values[_TAGS] or ())
    for i, name in _CODED:
        if values[i] is not None:
            values[i] = key_name(name, values[i])
    for i in _TIMES:
        moment: datetime | None = values[i]
        values[i] = None if moment is None else moment.astimezone(tz).replace(tzinfo=None)
    if not reveal:
        contact = Contact(values[_NAME], values[_PHONE])
        values[_USER_ID] = mask_phone(values[_USER_ID])
        values[_NAME] = mask_name(values[_NAME])
        values[_PHONE] = mask_phone(values[_PHONE])
        for i in _TEXTS:
            if values[i] is not None:
                values[i] = redact(values[i], contact)
    return values
