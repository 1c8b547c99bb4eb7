"""Interface strings in Chinese and English, and the browser-language choice.

Answer texts come from ChatBI in the question's language; only the app's own chrome lives here.
"""

from __future__ import annotations

import re

__all__ = ["LANGUAGES", "STRINGS", "t", "preferred_language"]

LANGUAGES = ("zh", "en")

STRINGS: dict[str, dict[str, str]] = {
    "app.title": {"zh": "ChatBI 智能问数", "en": "ChatBI"},
    "nav.ask": {"zh": "问数", "en": "Ask"},
    "nav.dashboards": {"zh": "看板", "en": "Dashboards"},
    "nav.explore": {"zh": "指标探索", "en": "Explorer"},
    "nav.alerts": {"zh": "预警", "en": "Alerts"},
    "lang.toggle": {"zh": "EN", "en": "中文"},
    "lang.toggle.title": {"zh": "Switch to English", "en": "切换到中文"},
    # ask page
    "ask.placeholder": {"zh": "用中文或英文提问，例如：2025年11月各省收入",
                        "en": "Ask in English or Chinese, e.g. revenue by province in November 2025"},
    "ask.send": {"zh": "提问", "en": "Ask"},
    "ask.welcome": {"zh": "你好！问我任何关于 {model} 数据的问题。", "en": "Hi! Ask me anything about the {model} data."},
    "ask.examples": {"zh": "试试这些问题", "en": "Try one of these"},
    "ask.empty": {"zh": "请先输入一个问题，例如「2025年11月各省收入」，或点击上方的示例问题。",
                  "en": "Type a question first, e.g. \u201crevenue by province in November 2025\u201d, or pick an example above."},
    "ask.clear": {"zh": "新对话", "en": "New conversation"},
    "ask.unavailable": {"zh": "问答功能尚未就绪（翻译器未安装）。", "en": "Question answering is not available yet (no translator installed)."},
    "card.understood": {"zh": "理解为", "en": "Understood as"},
    "card.chart": {"zh": "图表", "en": "Chart"},
    "card.data": {"zh": "数据", "en": "Data"},
    "card.sql": {"zh": "SQL", "en": "SQL"},
    "card.csv": {"zh": "下载 CSV", "en": "Download CSV"},
    "card.rows": {"zh": "共 {n} 行", "en": "{n} rows"},
    "card.copy": {"zh": "复制", "en": "Copy"},
    "card.run_sql": {"zh": "运行 SQL", "en": "Run SQL"},
    "card.sql_hint": {"zh": "可编辑后重新运行；只允许安全的只读查询。",
                      "en": "Edit and run again; only safe read-only queries are allowed."},
    "card.pin": {"zh": "固定到看板", "en": "Pin"},
    "card.why": {"zh": "为什么变化？", "en": "Why?"},
    "card.suggest": {"zh": "接着问", "en": "Follow up"},
    "card.remove_chip": {"zh": "去掉后重新查询", "en": "Remove and run again"},
    "card.ungoverned": {"zh": "自定义 SQL", "en": "Custom SQL"},
    "card.in_zh": {"zh": "（此回答为中文）", "en": "(answered in Chinese; ask again for English)"},
    "card.in_en": {"zh": "（此回答为英文，重新提问可得到中文回答）", "en": "(answered in English)"},
    "chart.loading": {"zh": "正在绘制图表…", "en": "Drawing the chart…"},
    "card.no_chart": {"zh": "此结果没有合适的图表，请查看数据。", "en": "No chart fits this result; see the data."},
    "card.expired": {"zh": "这条回答已过期，请重新提问。", "en": "This answer has expired; please ask again."},
    "card.clarify": {"zh": "请选择：", "en": "Please choose:"},
    "card.period": {"zh": "时间", "en": "Period"},
    "card.all_time": {"zh": "全部时间", "en": "All time"},
    "card.contributors": {"zh": "主要贡献因素", "en": "Top contributors"},
    "card.sql_question": {"zh": "运行 SQL", "en": "Run SQL"},
    "report.label": {"zh": "对象", "en": "Segment"},
    "report.baseline": {"zh": "基期", "en": "Baseline"},
    "report.current": {"zh": "本期", "en": "Current"},
    "report.change": {"zh": "变化", "en": "Change"},
    "report.share": {"zh": "占总变化", "en": "Share of change"},
    "chip.compare.previous_period": {"zh": "环比", "en": "vs previous period"},
    "chip.compare.year_over_year": {"zh": "同比", "en": "year over year"},
    "chip.share": {"zh": "占比", "en": "share"},
    "chip.top": {"zh": "前 {n}", "en": "top {n}"},
    "chip.by": {"zh": "按{label}", "en": "by {label}"},
    "chip.not": {"zh": "不含", "en": "not"},
    "suggest.drill": {"zh": "下钻到{label}", "en": "Drill down to {label}"},
    "suggest.by": {"zh": "按{label}拆分", "en": "Break down by {label}"},
    "suggest.trend": {"zh": "看{label}趋势", "en": "{label} trend"},
    "suggest.pop": {"zh": "和上期比（环比）", "en": "Compare with previous period"},
    "suggest.yoy": {"zh": "和去年同期比（同比）", "en": "Compare with last year"},
    "grain.day": {"zh": "日", "en": "day"},
    "grain.week": {"zh": "周", "en": "week"},
    "grain.month": {"zh": "月", "en": "month"},
    "grain.quarter": {"zh": "季度", "en": "quarter"},
    "grain.year": {"zh": "年", "en": "year"},
    "error.title": {"zh": "抱歉，出了点问题", "en": "Sorry, something went wrong"},
    "error.empty": {"zh": "请输入一个问题。", "en": "Please type a question."},
    "error.internal": {"zh": "暂时无法回答（{kind}）。请稍后再试，或换个问法。",
                       "en": "I could not answer that right now ({kind}). Please try again or rephrase."},
    "error.hint": {"zh": "可以换个说法，或试试示例问题。", "en": "Try rephrasing, or start from an example question."},
    "error.no_sql": {"zh": "此服务未启用 SQL 编辑。", "en": "SQL editing is not enabled on this server."},
    # pin
    "pin.title": {"zh": "固定到看板", "en": "Pin to a dashboard"},
    "pin.name": {"zh": "看板名称", "en": "Dashboard name"},
    "pin.default": {"zh": "我的看板", "en": "My dashboard"},
    "pin.confirm": {"zh": "固定", "en": "Pin"},
    "pin.cancel": {"zh": "取消", "en": "Cancel"},
    "pin.done": {"zh": "已固定到「{name}」", "en": "Pinned to \u201c{name}\u201d"},
    "pin.not_pinnable": {"zh": "只有成功的回答可以固定。", "en": "Only successful answers can be pinned."},
    # dashboards page
    "dash.title": {"zh": "我的看板", "en": "Dashboards"},
    "dash.empty": {"zh": "还没有看板。在问数页点击「固定到看板」即可创建。",
                   "en": "No dashboards yet. Pin an answer from the Ask page to create one."},
    "dash.no_cards": {"zh": "这个看板还没有卡片。", "en": "This dashboard has no cards yet."},
    "dash.select": {"zh": "选择看板", "en": "Choose a dashboard"},
    "dash.delete": {"zh": "删除看板", "en": "Delete dashboard"},
    "dash.confirm_delete": {"zh": "删除看板「{name}」及其所有卡片？", "en": "Delete the dashboard \u201c{name}\u201d and all its cards?"},
    "dash.up": {"zh": "上移", "en": "Move up"},
    "dash.down": {"zh": "下移", "en": "Move down"},
    "dash.remove": {"zh": "移除", "en": "Remove"},
    "dash.refreshed": {"zh": "数据已于 {time} 刷新", "en": "Refreshed at {time}"},
    # explorer
    "explore.title": {"zh": "指标探索", "en": "Metric explorer"},
    "explore.metric": {"zh": "指标", "en": "Metric"},
    "explore.grain": {"zh": "粒度", "en": "Grain"},
    "explore.tree": {"zh": "维度树", "en": "Dimension tree"},
    "explore.all": {"zh": "全部", "en": "All"},
    "explore.trend": {"zh": "趋势", "en": "Trend"},
    "explore.drill": {"zh": "按{label}（点击柱子下钻）", "en": "By {label} (click a bar to drill down)"},
    "explore.leaf": {"zh": "已到最细层级", "en": "Finest level reached"},
    "explore.anomalies": {"zh": "发现 {n} 个异常点", "en": "{n} anomalies found"},
    "explore.anomaly_one": {"zh": "发现 1 个异常点", "en": "1 anomaly found"},
    "explore.drill_hint": {"zh": "点击柱子下钻到下一层级", "en": "Click a bar to drill down a level"},
    "explore.no_anomalies": {"zh": "未发现异常", "en": "No anomalies found"},
    "explore.anomaly_off": {"zh": "异常检测尚未启用", "en": "Anomaly detection is not available yet"},
    "explore.expected": {"zh": "预期", "en": "expected"},
    "explore.anomaly": {"zh": "异常", "en": "anomaly"},
    "explore.no_tree": {"zh": "该指标没有可下钻的维度树。", "en": "This metric has no dimension tree to drill into."},
    # alerts
    "alerts.title": {"zh": "预警", "en": "Alerts"},
    "alerts.none": {"zh": "还没有预警规则（用 CHATBI_ALERT_RULES 指定规则文件）。",
                    "en": "No alert rules yet (point CHATBI_ALERT_RULES at a rules file)."},
    "alerts.rule": {"zh": "规则", "en": "Rule"},
    "alerts.condition": {"zh": "条件", "en": "Condition"},
    "alerts.schedule": {"zh": "计划", "en": "Schedule"},
    "alerts.last": {"zh": "上次触发", "en": "Last fired"},
    "alerts.enabled": {"zh": "启用", "en": "On"},
    "alerts.value": {"zh": "数值", "en": "value"},
    "alerts.time": {"zh": "时间", "en": "Time"},
    "alerts.subject": {"zh": "主题", "en": "Subject"},
    "alerts.status": {"zh": "状态", "en": "Status"},
    "alerts.status.pending": {"zh": "待发送", "en": "pending"},
    "alerts.status.sending": {"zh": "发送中", "en": "sending"},
    "alerts.status.sent": {"zh": "已发送", "en": "sent"},
    "alerts.status.failed": {"zh": "失败", "en": "failed"},
    "alerts.status.partial": {"zh": "部分收件人被拒", "en": "partly refused"},
    "alerts.status.dismissed": {"zh": "已忽略", "en": "dismissed"},
    "alerts.rule_status": {"zh": "状态", "en": "Status"},
    "alerts.failing": {"zh": "无法计算：{error}", "en": "cannot be evaluated: {error}"},
    "alerts.missed": {"zh": "错过 {n} 次运行", "en": "{n} run(s) missed"},
    "alerts.attempts": {"zh": "尝试次数", "en": "Attempts"},
    "alerts.error": {"zh": "错误", "en": "Error"},
    "alerts.no_runs": {"zh": "还没有发送过摘要。", "en": "No digests yet."},
    "alerts.send": {"zh": "发送", "en": "Send"},
    "alerts.sent": {"zh": "测试摘要已发送到 {to}", "en": "Test digest sent to {to}"},
    "alerts.not_sent": {"zh": "摘要未能发送，请检查 SMTP 设置（CHATBI_SMTP_*）。",
                        "en": "The digest was not sent; check the SMTP settings (CHATBI_SMTP_*)."},
    "alerts.bad_address": {"zh": "请输入有效的邮箱地址。", "en": "Please enter a valid email address."},
    "alerts.pick_rule": {"zh": "请选择一条规则。", "en": "Please choose a rule."},
    "alerts.rules": {"zh": "规则", "en": "Rules"},
    "alerts.runs": {"zh": "最近运行", "en": "Last runs"},
    "alerts.test": {"zh": "发送测试摘要", "en": "Send a test digest"},
    "alerts.to": {"zh": "收件人", "en": "Recipient"},
    "notfound": {"zh": "页面不存在。", "en": "Page not found."},
}


def t(key: str, lang: str, **values: object) -> str:
    """The string ``key`` in ``lang`` (English, then the key itself, when missing)."""
    entry = STRINGS.get(key)
    text = key if entry is None else entry.get(lang) or entry.get("en") or key
    return text.format(**values) if values else text


_TAG = re.compile(r"^\s*([A-Za-z]{1,8})(?:-[A-Za-z0-9]{1,8})*\s*(?:;\s*q\s*=\s*([0-9.]+))?\s*$")


def preferred_language(accept_language: str | None, default: str = "en") -> str:
    """The supported language the browser ranks highest.

    >>> preferred_language("zh-CN,zh;q=0.9,en;q=0.8")
    'zh'
    >>> preferred_language("en-US,en;q=0.9,zh-CN;q=0.8", default="zh")
    'en'
    >>> preferred_language(None, default="zh")
    'zh'
    """
    best: tuple[float, int, str] | None = None
    for position, part in enumerate((accept_language or "").split(",")):
        match = _TAG.match(part)
        if not match:
            continue
        primary = match.group(1).lower()
        if primary not in LANGUAGES:
            continue
        try:
            quality = float(match.group(2)) if match.group(2) else 1.0
        except ValueError:
            continue
        # higher quality first; among equals the header's order decides
        key = (quality, -position, primary)
        if quality > 0 and (best is None or key > best):
            best = key
    return best[2] if best else default
