"""Fixtures of the access-control tests: users and roles over the telecom sample, and a small CRM
warehouse (DuckDB, built here) whose customer table has the personal columns the sample lacks."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import duckdb
import pytest

from chatbi.security import AuditLog, Security, hash_password

#: cheap hashes: the cost parameter is stored in the hash, verification reads it from there
PASSWORDS = {"alice": "alice-pw-1", "bob": "bob-pw-2", "root": "root-pw-3", "viewer": "viewer-pw-4"}
#: a key of the strength `security check` asks for (a test key, public like the rest of the suite)
SECRET_KEY = "t3st-k3y-9f2c41d08e7ab65c3f1d2e9a7b4c8d60"


def _hash(user: str) -> str:
    return hash_password(PASSWORDS[user], n=2 ** 10)


def telecom_security_doc() -> dict[str, Any]:
    return {
        "secret_key": SECRET_KEY,
        "users": {
            "alice": {"password": _hash("alice"), "roles": ["guangdong_analyst"], "name": "Alice"},
            "bob": {"password": _hash("bob"), "roles": ["regional_manager"], "attributes": {"region": "华东"}},
            "carol": {"roles": ["regional_manager"]},  # no region attribute: the role grants no rows
            "dave": {"roles": ["guangdong_analyst", "regional_manager"], "attributes": {"region": "西南"}},
            "root": {"password": _hash("root"), "roles": ["admin"]},
            "viewer": {"password": _hash("viewer"), "roles": ["viewer"]},
            "gone": {"roles": ["admin"], "disabled": True},
        },
        "roles": {
            "guangdong_analyst": {"rows": [{"province": "广东"}]},
            "regional_manager": {"rows": [{"region": "{{ user.region }}"}],
                                 "columns": {"revenue": {"mask": "round_to", "step": 1000000}}},
            "viewer": {"rows": [{"province": ["广东", "浙江"]}], "sql": False},
            "admin": {},
        },
    }


@pytest.fixture(scope="session")
def security(sample_model) -> Security:
    return Security.from_dict(telecom_security_doc(), model=sample_model)


@pytest.fixture()
def audit(tmp_path: Path) -> AuditLog:
    return AuditLog(tmp_path / "app.sqlite3")


@pytest.fixture(scope="session")
def views(sample_bi, security):
    """One view per user, shared by the session (views are stateless per query, like ChatBI)."""
    return {u: sample_bi.for_user(u, security=security) for u in ("alice", "bob", "carol", "dave", "root", "viewer")}


# -- a CRM warehouse with personal data -----------------------------------------------------------
CUSTOMERS = [
    # id, name, phone, id card, email, city, province, birth date
    (1, "张三丰", "13812345678", "110101199003071234", "zhangsan@example.com", "深圳", "广东", "1990-03-07"),
    (2, "李四", "13900001111", "440301198512124321", "lisi@example.com", "深圳", "广东", "1985-12-12"),
    (3, "王小五", "13700002222", "440301199201011111", "wang5@example.com", "深圳", "广东", "1992-01-01"),
    (4, "赵六", "13600003333", "440301197805052222", "zhao6@example.com", "深圳", "广东", "1978-05-05"),
    (5, "钱七", "13500004444", "440301200002023333", "qian7@example.com", "深圳", "广东", "2000-02-02"),
    (6, "孙八", "15800005555", "440101199911114444", "sun8@example.com", "广州", "广东", "1999-11-11"),
    (7, "周九", "15900006666", "440101198808085555", "zhou9@example.com", "广州", "广东", "1988-08-08"),
    (8, "吴十", "15000007777", "440101197707076666", "wu10@example.com", "广州", "广东", "1977-07-07"),
    (9, "郑一", "18600008888", "330101199505057777", "zheng1@example.com", "杭州", "浙江", "1995-05-05"),
    (10, "冯二", "18700009999", "330101199606068888", "feng2@example.com", "杭州", "浙江", "1996-06-06"),
    (11, "陈三", "18800001234", "330101199707079999", "chen3@example.com", "杭州", "浙江", "1997-07-07"),
    (12, "卫四", "18900005678", "320101199808080000", "wei4@example.com", "南京", "江苏", "1998-08-08"),
]
PHONES = {c[2] for c in CUSTOMERS}
NAMES = {c[1] for c in CUSTOMERS}
ID_CARDS = {c[3] for c in CUSTOMERS}
EMAILS = {c[4] for c in CUSTOMERS}

CRM_MODEL: dict[str, Any] = {
    "name": "crm", "default_language": "zh", "time_anchor": "latest",
    "tables": {
        "fact_usage": {"time_column": "date",
                       "columns": {"date": "date", "customer_id": "integer", "spend": "double", "minutes": "double"}},
        "dim_customer": {"primary_key": ["customer_id"],
                         "columns": {"customer_id": "integer", "name": "varchar", "phone": "varchar",
                                     "id_card": "varchar", "email": "varchar", "city": "varchar",
                                     "province": "varchar", "birth_date": "date"}},
    },
    "joins": [{"left": "fact_usage", "right": "dim_customer", "keys": {"customer_id": "customer_id"}}],
    "dimensions": {
        "date": {"type": "time", "grains": ["day", "month"], "label": {"zh": "日期", "en": "Date"}},
        "customer": {"table": "dim_customer", "column": "name", "label": {"zh": "客户", "en": "Customer"},
                     "synonyms": ["客户", "customers"]},
        "phone": {"table": "dim_customer", "column": "phone", "label": {"zh": "手机号", "en": "Phone"},
                  "synonyms": ["手机号", "电话"]},
        "id_card": {"table": "dim_customer", "column": "id_card", "label": {"zh": "身份证号", "en": "ID card"}},
        "email": {"table": "dim_customer", "column": "email", "label": {"zh": "邮箱", "en": "Email"}},
        "city": {"table": "dim_customer", "column": "city", "label": {"zh": "城市", "en": "City"},
                 "synonyms": ["城市", "各城市"]},
        "province": {"table": "dim_customer", "column": "province", "label": {"zh": "省份", "en": "Province"},
                     "members": {"广东": ["广东省"], "浙江": ["浙江省"], "江苏": ["江苏省"]}},
    },
    "metrics": {
        "spend": {"table": "fact_usage", "agg": "sum", "column": "spend", "label": {"zh": "消费", "en": "Spend"},
                  "synonyms": ["消费", "消费金额"], "format": "currency"},
        "customers": {"table": "fact_usage", "agg": "count_distinct", "column": "customer_id",
                      "label": {"zh": "客户数", "en": "Customers"}, "format": "integer"},
        "minutes": {"table": "fact_usage", "agg": "sum", "column": "minutes", "label": {"zh": "通话分钟", "en": "Minutes"}},
    },
}

CRM_SECURITY: dict[str, Any] = {
    "users": {"agent": {"roles": ["support"]}, "gd_agent": {"roles": ["gd_support"]},
              "analyst": {"roles": ["marketing"]}, "dpo": {"roles": ["admin"]}},
    "roles": {
        "support": {"columns": {"customer": {"mask": "name"}, "phone": "phone", "email": "email", "id_card": "hide"}},
        "gd_support": {"rows": [{"province": "广东"}],
                       "columns": {"customer": {"mask": "name"}, "phone": "phone", "email": "email",
                                   "id_card": "hide"}},
        "marketing": {"columns": {"customer": "hide", "phone": "hide", "email": "hide", "id_card": "hide"},
                      "min_group_size": 3, "group_size": {"fact_usage": "customer_id"}},
        "admin": {},
    },
}


def build_crm(path: Path) -> Path:
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE dim_customer (customer_id INTEGER, name VARCHAR, phone VARCHAR, id_card VARCHAR, "
                "email VARCHAR, city VARCHAR, province VARCHAR, birth_date DATE)")
    con.executemany("INSERT INTO dim_customer VALUES (?, ?, ?, ?, ?, ?, ?, ?)", CUSTOMERS)
    con.execute("CREATE TABLE fact_usage (date DATE, customer_id INTEGER, spend DOUBLE, minutes DOUBLE)")
    start = dt.date(2025, 1, 1)
    rows = [(start + dt.timedelta(days=d), c[0], 10.0 + c[0] + d % 7, 30.0 + c[0]) for d in range(90) for c in CUSTOMERS]
    con.executemany("INSERT INTO fact_usage VALUES (?, ?, ?, ?)", rows)
    con.close()
    return path


@pytest.fixture(scope="session")
def crm(tmp_path_factory: pytest.TempPathFactory):
    from chatbi import ChatBI

    bi = ChatBI(CRM_MODEL, build_crm(tmp_path_factory.mktemp("crm") / "crm.duckdb"), translator="offline")
    yield bi
    bi.close()


@pytest.fixture(scope="session")
def crm_security(crm) -> Security:
    return Security.from_dict(CRM_SECURITY, model=crm.model)
