"""What the SQL guard lets through: allow-lists of syntax nodes, functions, types and keywords.

Everything here is an *allow*-list. A sqlglot node class, function, type or keyword that is not
listed is rejected, so a construct sqlglot learns to parse tomorrow stays out until someone
adds it here on purpose. Names are resolved against ``sqlglot.exp`` at import time and names
a given sqlglot version lacks are skipped.
"""

from __future__ import annotations

import re

from sqlglot import exp

__all__ = [
    "RULES",
    "ALLOWED_FUNCTIONS",
    "ALLOWED_ANONYMOUS",
    "ALLOWED_OPERATORS",
    "ALLOWED_TYPES",
    "DATE_PARTS",
    "WRITE_NODES",
    "SYSTEM_SCHEMAS",
    "SYSTEM_PREFIXES",
    "NUMBER",
    "UNQUOTED_IDENTIFIER",
    "NILADIC",
    "is_system_name",
]

#: rule name -> what it protects; the names appear in ``SQLGuardError.rule``
RULES: dict[str, str] = {
    "input": "the SQL text is empty, too long or holds control characters",
    "parse": "the SQL must parse in the engine's dialect",
    "single_statement": "exactly one statement",
    "read_only": "only SELECT queries: no DML, DDL, COPY, ATTACH, PRAGMA, SET, INSTALL, LOAD, CALL, EXPORT",
    "select_into": "no SELECT ... INTO",
    "table": "only tables of the semantic model (or CTEs / subqueries defined in the query)",
    "schema": "no other schemas or catalogs",
    "system_catalog": "no system catalogs",
    "table_function": "no table functions or file paths in FROM",
    "column": "only columns that exist on the tables in scope",
    "function": "only allow-listed functions",
    "type": "only allow-listed data types in casts",
    "identifier": "identifiers must be plain names",
    "construct": "only allow-listed SQL constructs",
    "too_complex": "bounded nesting depth and size",
    "resource": "no function call that builds huge values or runs past the timeout (guard/bounds.py)",
    "access": "only the rows and columns the user's access policy allows (semantic_layer.policy)",
}


def _classes(names: str) -> frozenset[type[exp.Expression]]:
    found = (getattr(exp, n, None) for n in names.split())
    return frozenset(c for c in found if isinstance(c, type) and issubclass(c, exp.Expression))


_AGGREGATES = """Sum Avg Min Max Count CountIf Median Mode Stddev StddevPop StddevSamp Variance VariancePop
    Corr CovarPop CovarSamp ApproxDistinct ApproxQuantile PercentileCont PercentileDisc Quantile AnyValue
    ArgMax ArgMin LogicalAnd LogicalOr GroupConcat First Last Skewness Kurtosis RegrSlope RegrIntercept RegrR2"""
_ARITHMETIC = """Abs Ceil Floor Round Sqrt Cbrt Pow Exp Ln Log Sign Greatest Least SafeDivide Trunc Pi Degrees
    Radians Sin Cos Tan Asin Acos Atan Atan2 IsNan IsInf"""
_DATETIME = """CurrentDate CurrentTimestamp CurrentTime CurrentDatetime Localtimestamp Date Datetime DateAdd DateSub
    DateDiff DateTrunc TimestampTrunc DatetimeTrunc TimeTrunc DateBin Extract Year Month Quarter Week WeekOfYear
    Day DayOfMonth DayOfWeek DayOfWeekIso DayOfYear Hour Minute Second LastDay DateFromParts AddMonths
    MonthsBetween TimestampAdd TimestampSub TimestampDiff DatetimeAdd DatetimeSub DatetimeDiff TsOrDsAdd
    TsOrDsDiff TsOrDsToDate TsOrDsToTimestamp TsOrDsToDatetime TimeToStr StrToDate StrToTime TimeStrToTime
    TimeStrToDate DateStrToDate DateToDateStr UnixToTime TimeToUnix ToChar Dayname Monthname WeekStart
    MakeInterval UnixDate"""
_STRING = """Lower Upper Length ByteLength Substring Trim Concat ConcatWs Replace Left Right Pad StrPosition
    Initcap Reverse SplitPart RegexpLike RegexpILike RegexpExtract RegexpReplace StartsWith EndsWith Contains
    Translate Ascii Chr Levenshtein Format ToNumber ToDouble"""
_CONDITIONAL = "Case If Coalesce Nullif Nvl2 DecodeCase EqualNull Cast TryCast"
_WINDOW = "RowNumber Rank DenseRank PercentRank CumeDist Ntile Lag Lead FirstValue LastValue NthValue"
_PREDICATES = "Exists"

#: function node classes (``exp.Func`` subclasses) that may appear anywhere in an expression
ALLOWED_FUNCTIONS = _classes(" ".join((_AGGREGATES, _ARITHMETIC, _DATETIME, _STRING, _CONDITIONAL, _WINDOW,
                                       _PREDICATES)))

#: functions sqlglot does not model (``exp.Anonymous``), by lower-case name
ALLOWED_ANONYMOUS = frozenset({
    "date", "datetime", "printf", "julianday", "strftime", "unixepoch", "iif", "date_part", "datepart", "to_date", "to_timestamp",
    "make_date", "log10", "log2", "div0", "zeroifnull", "nullifzero", "nvl", "ifnull", "isoyear", "yearweek",
})

#: operators and leaf nodes; their children are checked recursively
ALLOWED_OPERATORS = _classes("""Add Sub Mul Div IntDiv Mod Neg Paren Not And Or Xor EQ NEQ GT GTE LT LTE
    NullSafeEQ NullSafeNEQ Is Like ILike Escape SimilarTo Glob Between DPipe BitwiseAnd BitwiseOr BitwiseXor
    BitwiseNot Tuple Null Boolean AtTimeZone""")

_DT = exp.DataType.Type
#: types a CAST may target
ALLOWED_TYPES = frozenset(getattr(_DT, n) for n in [
    "BIGINT", "INT", "SMALLINT", "TINYINT", "MEDIUMINT", "UBIGINT", "UINT", "USMALLINT", "UTINYINT",
    "HUGEINT", "INT128", "DOUBLE", "FLOAT", "DECIMAL", "DECIMAL32", "DECIMAL64", "DECIMAL128",
    "BIGDECIMAL", "MONEY", "VARCHAR", "NVARCHAR", "CHAR", "NCHAR", "TEXT", "NAME", "DATE", "DATE32",
    "DATETIME", "DATETIME2", "DATETIME64", "TIMESTAMP", "TIMESTAMPTZ", "TIMESTAMPLTZ", "TIMESTAMPNTZ",
    "TIMESTAMP_S", "TIMESTAMP_MS", "TIMESTAMP_NS", "TIME", "TIMETZ", "INTERVAL", "BOOLEAN"
] if hasattr(_DT, n))

#: keywords sqlglot keeps as ``exp.Var`` (date parts and interval units); anything else is a bare word
#: that a database might read as a column, so it is rejected
DATE_PARTS = frozenset([
    "YEAR", "YEARS", "QUARTER", "QUARTERS", "MONTH", "MONTHS", "WEEK", "WEEKS", "ISOWEEK", "DAY",
    "DAYS", "DAYOFWEEK", "DAYOFYEAR", "WEEKDAY", "DOW", "DOY", "ISODOW", "ISOYEAR", "HOUR", "HOURS",
    "MINUTE", "MINUTES", "SECOND", "SECONDS", "MILLISECOND", "MILLISECONDS", "MICROSECOND",
    "MICROSECONDS", "EPOCH", "DECADE", "CENTURY", "MILLENNIUM", "YEARWEEK", "MONDAY", "TUESDAY",
    "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY"
])

#: statements (anywhere in the tree) that write, change settings or reach outside the database
WRITE_NODES = _classes("""Insert Update Delete Merge Create Drop Alter AlterColumn TruncateTable Copy Command Set
    SetItem Pragma Attach Detach Install Use Grant Revoke Comment Analyze LoadData Cache Uncache Refresh Kill
    Execute Transaction Commit Rollback Describe Show Summarize Lock Export Declare Returning""")

SYSTEM_SCHEMAS = frozenset({"information_schema", "pg_catalog", "pg_toast", "sys", "mysql", "performance_schema",
                            "system", "temp", "sqlite_temp_master"})
SYSTEM_PREFIXES = ("pg_", "sqlite_", "duckdb_", "information_schema", "sys", "mysql", "performance_schema")

#: names that some databases read as a function call when unquoted (``SELECT user`` is the login name
#: in PostgreSQL): as a column they must be quoted
NILADIC = frozenset({"user", "current_user", "session_user", "system_user", "current_role", "current_schema",
                     "current_catalog", "current_database", "current_path", "current_date", "current_time",
                     "current_timestamp", "localtime", "localtimestamp"})

NUMBER = re.compile(r"(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
UNQUOTED_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def is_system_name(name: str) -> bool:
    """Whether a table or schema name looks like a system catalog (``pg_user``, ``sqlite_master`` ...).

    >>> is_system_name("pg_shadow"), is_system_name("sqlite_master"), is_system_name("fact_daily")
    (True, True, False)
    """
    lowered = name.lower()
    return lowered in SYSTEM_SCHEMAS or lowered.startswith(SYSTEM_PREFIXES)
