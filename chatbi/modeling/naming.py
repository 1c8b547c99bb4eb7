"""Names, labels and the name-based rules of the drafter.

Everything here reads column and table *names* only: whether a name looks like a key, a
rate, an amount or a stock, and a readable bilingual label for it. The glossary holds
generic business words (date, amount, price, rate ...), never a domain's jargon: the
domain's words belong in the refined model's labels and synonyms.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = [
    "CJK",
    "has_cjk",
    "identifier",
    "unique_name",
    "words",
    "labels_for",
    "table_base",
    "key_base",
    "is_key_name",
    "is_rate_name",
    "is_additive_name",
    "is_stock_name",
    "is_code_name",
    "time_column_rank",
    "label_pair",
    "plural",
    "unit_of",
]

CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")

_TABLE_PREFIXES = ("dim_", "fact_", "fct_", "dwd_", "dws_", "ads_", "ods_", "dm_", "tbl_", "t_", "d_", "f_")
_KEY_SUFFIXES = ("_id", "_key", "_sk", "_no", "_code", "_uuid", "id")

# word stems (after splitting on "_" and case changes) that mark a column as ...
_RATE_WORDS = frozenset({
    "rate", "ratio", "pct", "percent", "percentage", "share", "avg", "average", "mean", "price", "fee",
    "tariff", "speed", "throughput", "latency", "temperature", "temp", "pressure", "score", "margin",
    "utilization", "utilisation", "availability", "uptime", "efficiency", "yield", "density", "mbps",
    "kbps", "ms", "per", "unit", "level", "age", "index", "cut", "humidity", "rating", "nps", "ppm",
})
_ADDITIVE_WORDS = frozenset({
    "amount", "amt", "revenue", "sales", "cost", "costs", "spend", "profit", "income", "expense",
    "count", "cnt", "num", "qty", "quantity", "volume", "total", "sum", "gb", "mb", "tb", "minutes",
    "hours", "seconds", "days", "output", "production", "units", "orders", "calls", "attempts",
    "complaints", "visits", "clicks", "views", "tonnes", "tons", "t", "kg", "m3", "bbl", "kwh",
})
_STOCK_WORDS = frozenset({"balance", "inventory", "stock", "headcount", "backlog", "outstanding", "on_hand"})
_CODE_WORDS = frozenset({"type", "status", "level", "grade", "category", "class", "kind", "tier",
                         "year", "quarter", "month", "week", "weekday", "hour", "flag"})
_TIME_WORDS = ("date", "day", "dt", "ds", "time", "timestamp", "ts", "period", "at", "on", "日期", "时间")

#: generic business words -> Chinese, for draft labels (a refined model replaces them)
_GLOSSARY: dict[str, str] = {
    "date": "日期", "day": "日", "time": "时间", "month": "月份", "year": "年份", "week": "周",
    "quarter": "季度", "hour": "小时", "hours": "小时数", "minutes": "分钟数", "days": "天数",
    "amount": "金额", "revenue": "收入", "sales": "销售额", "cost": "成本", "profit": "利润",
    "price": "价格", "fee": "费用", "income": "收入", "expense": "支出", "discount": "折扣",
    "count": "数量", "quantity": "数量", "qty": "数量", "total": "总", "number": "数量", "num": "数量",
    "volume": "量", "rate": "率", "ratio": "比率", "pct": "百分比", "percent": "百分比", "share": "占比",
    "avg": "平均", "average": "平均", "mean": "平均", "max": "最大", "min": "最小",
    "name": "名称", "type": "类型", "status": "状态", "category": "类别", "level": "级别", "class": "类别",
    "code": "编码", "id": "编号", "key": "键", "reason": "原因", "group": "组", "grade": "等级",
    "city": "城市", "province": "省份", "region": "区域", "country": "国家", "area": "地区",
    "district": "区县", "state": "州", "address": "地址", "location": "位置", "site": "站点",
    "customer": "客户", "user": "用户", "users": "用户数", "member": "会员", "segment": "客户类型",
    "product": "产品", "item": "商品", "sku": "SKU", "brand": "品牌", "store": "门店", "shop": "门店",
    "channel": "渠道", "order": "订单", "orders": "订单数", "plan": "套餐", "vendor": "厂商",
    "supplier": "供应商", "department": "部门", "dept": "部门", "employee": "员工", "team": "团队",
    "new": "新增", "active": "活跃", "churned": "流失", "gross": "毛", "net": "净",
    "output": "产量", "production": "产量", "capacity": "产能", "equipment": "设备", "line": "产线",
    "start": "开始", "end": "结束", "duration": "时长", "speed": "速度", "throughput": "吞吐量",
    "availability": "可用率", "uptime": "运行率", "downtime": "停机", "operating": "运行",
    "temperature": "温度", "pressure": "压力", "weight": "重量", "length": "长度", "score": "得分",
    "complaints": "投诉量", "calls": "呼叫数", "attempts": "尝试次数", "traffic": "流量", "data": "数据",
    "voice": "语音", "balance": "余额", "inventory": "库存", "stock": "库存", "margin": "利润率",
    "tax": "税额", "payment": "支付", "paid": "已付", "unit": "单位",
}
_GLOSSARY_EN_UNITS = {"gb": "GB", "mb": "MB", "tb": "TB", "mbps": "Mbps", "kbps": "kbps", "kwh": "kWh",
                      "m3": "m³", "km3": "10³m³", "pct": "%", "t": "t", "kg": "kg", "mpa": "MPa", "mm": "mm",
                      "bbl": "bbl", "ms": "ms", "cny": "CNY", "usd": "USD", "rmb": "CNY"}
#: English words whose Chinese gloss already says "number of" and must not be read as a unit
_SKIP_ZH = {"t", "kg", "gb", "mb", "tb", "m3", "km3", "mbps", "kbps", "kwh", "mpa", "mm", "bbl", "pct", "ms",
            "cny", "usd", "rmb"}


def has_cjk(text: str) -> bool:
    return bool(CJK.search(text))


def identifier(text: str) -> str:
    """A name usable in models and queries: lower snake case, never starting with a digit.

    Chinese names are kept (they are valid identifiers and what users type).

    >>> identifier("Order Date")
    'order_date'
    >>> identifier("2024 Sales (¥)")
    'c_2024_sales'
    >>> identifier("销售额")
    '销售额'
    """
    text = unicodedata.normalize("NFKC", text).strip()
    text = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", text).lower()
    text = re.sub(r"[^\w]+", "_", text).strip("_") or "col"
    text = re.sub(r"_+", "_", text)
    return f"c_{text}" if text[0].isdigit() else text


def unique_name(name: str, taken: set[str] | dict[str, object]) -> str:
    """``name`` or ``name_2``, ``name_3`` ... whichever is not taken yet."""
    if name not in taken:
        return name
    i = 2
    while f"{name}_{i}" in taken:
        i += 1
    return f"{name}_{i}"


def words(name: str) -> list[str]:
    """The words of a snake/camel-case name.

    >>> words("dlThroughput_mbps")
    ['dl', 'throughput', 'mbps']
    """
    name = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name)
    return [w for w in re.split(r"[^0-9a-zA-Z\u3400-\u9fff]+", name.lower()) if w]


def table_base(table: str) -> str:
    """The entity a table is about: ``dim_region`` -> ``region``, ``fact_daily`` -> ``daily``."""
    low = table.lower()
    for prefix in _TABLE_PREFIXES:
        if low.startswith(prefix) and len(low) > len(prefix):
            return table[len(prefix):]
    return table


def key_base(column: str) -> str:
    """``city_id`` -> ``city``; ``CustomerKey`` -> ``customer``."""
    low = identifier(column)
    for suffix in _KEY_SUFFIXES:
        if low.endswith(suffix) and len(low) > len(suffix):
            return low[: -len(suffix)].rstrip("_")
    return low


def is_key_name(column: str) -> bool:
    low = identifier(column)
    return low == "id" or any(low.endswith(s) for s in ("_id", "_key", "_sk", "_uuid")) or \
        (column.endswith("Id") and len(column) > 2)


def _has(column: str, vocabulary: frozenset[str]) -> bool:
    return any(w in vocabulary for w in words(column))


def is_rate_name(column: str) -> bool:
    """Names of rates, prices and percentages: averaged, never summed."""
    return _has(column, _RATE_WORDS) or any(s in column for s in ("率", "均", "价", "占比", "单价"))


def is_additive_name(column: str) -> bool:
    """Names of amounts and counts: summed."""
    return _has(column, _ADDITIVE_WORDS) or any(s in column for s in ("额", "量", "数", "金", "费用"))


def is_stock_name(column: str) -> bool:
    """Levels at a point in time (balances, inventory, active subscribers): last value over time."""
    ws = words(column)
    return bool(set(ws) & _STOCK_WORDS) or (len(ws) > 1 and ws[0] == "active") or "余额" in column or "库存" in column


def is_code_name(column: str) -> bool:
    """Integer columns that are categories, not quantities (``status``, ``year``, ``grade_code``)."""
    ws = words(column)
    return bool(ws) and (ws[-1] in _CODE_WORDS or ws[-1] == "code")


def time_column_rank(column: str, type_: str) -> tuple[int, int, str]:
    """Sort key choosing a table's time column: DATE before TIMESTAMP, 'date'-like names first."""
    ws = words(column)
    named = 0 if column.lower() in ("date", "day", "dt", "ds", "日期") else 1 if set(ws) & set(_TIME_WORDS) else 2
    return (0 if type_ == "date" else 1, named, column)


def unit_of(column: str) -> str:
    """The unit a column name ends with (``oil_t`` -> ``t``, ``dl_throughput_mbps`` -> ``Mbps``), else ''."""
    ws = words(column)
    return _GLOSSARY_EN_UNITS.get(ws[-1], "") if len(ws) > 1 else ""


def _english(column: str) -> str:
    ws = words(column)
    unit = unit_of(column)
    if unit:
        ws = ws[:-1]
    text = " ".join(ws) if ws else column
    text = text[:1].upper() + text[1:]
    return f"{text} ({unit})" if unit else text


def _chinese(column: str) -> str | None:
    """A Chinese label when every word is in the glossary (units are dropped), else None."""
    ws = [w for w in words(column) if w not in _SKIP_ZH]
    if not ws:
        return None
    parts = []
    for w in ws:
        if has_cjk(w):
            parts.append(w)
        elif w in _GLOSSARY:
            parts.append(_GLOSSARY[w])
        else:
            return None
    # "id" after an entity reads "城市编号" (city id); drop "total" when it only restates a sum
    return "".join(parts)


def labels_for(name: str) -> dict[str, str]:
    """Bilingual-ready labels from a column or table name.

    >>> labels_for("order_date")
    {'en': 'Order date', 'zh': '订单日期'}
    >>> labels_for("dl_throughput_mbps")
    {'en': 'Dl throughput (Mbps)'}
    >>> labels_for("销售额")
    {'en': '销售额', 'zh': '销售额'}
    """
    if has_cjk(name):
        return {"en": name, "zh": name}
    out = {"en": _english(name)}
    zh = _chinese(name)
    if zh:
        out["zh"] = zh
    return out


_LABEL_SUFFIXES = ("_en", "_english", "_zh", "_cn", "_chinese", "_name_en", "_name_zh")


def label_pair(a: str, b: str) -> bool:
    """Whether columns ``a`` and ``b`` look like one name in two languages (``city`` / ``city_en``)."""
    la, lb = a.lower(), b.lower()
    for s in _LABEL_SUFFIXES:
        if (la.endswith(s) and la[: -len(s)] == lb) or (lb.endswith(s) and lb[: -len(s)] == la):
            return True
        if la.endswith(s) and lb.endswith(tuple(_LABEL_SUFFIXES)) and la[: -len(s)] == lb[: lb.rfind("_")]:
            return True
    return False


def plural(noun: str) -> str:
    """A naive English plural for labels (``city`` -> ``cities``).

    >>> plural("city"), plural("box"), plural("well"), plural("sales")
    ('cities', 'boxes', 'wells', 'sales')
    """
    if not noun or has_cjk(noun) or noun.endswith("s"):
        return noun
    if noun.endswith("y") and noun[-2:-1] not in "aeiou":
        return noun[:-1] + "ies"
    if noun.endswith(("x", "ch", "sh", "z")):
        return noun + "es"
    return noun + "s"
