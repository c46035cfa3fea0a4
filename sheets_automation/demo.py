"""``sheets-automation demo``: a realistic sample workbook, built offline, then every job run.

The data is generated relative to ``now`` from a fixed seed, so every window, deadline and
tracking flag shows up: 220 cases over every issue type in English and Chinese, parcels
on postal, express and special lines, cashback (on a tab with Chinese headers, to show
header aliases) and reships, plus deliberately broken rows (bad dates, negative amounts,
unknown countries and currencies, formula-looking customer text, a malformed tracking
number). It writes through the backend port like any run.
"""
from __future__ import annotations

import random
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Callable
from zoneinfo import ZoneInfo

from .appearance import new_tab
from .backends.base import RowAppend, WritePlan
from .schema import SHIPPED, TabSchema, shipped_schemas

TZ = "Asia/Shanghai"
ISSUES = ["not_shipped", "not_received", "stale_tracking", "customs_hold", "false_delivery", "damaged", "wrong_item",
          "missing_item", "quality", "size", "no_reason_return", "cancel", "change_order", "address_change",
          "price_protection", "other"]
RESOLUTION = {"not_shipped": "cancel", "not_received": "resend", "stale_tracking": "resend", "customs_hold": "none",
              "false_delivery": "resend", "damaged": "resend", "wrong_item": "resend", "missing_item": "resend",
              "quality": "refund", "size": "exchange", "no_reason_return": "return_refund", "cancel": "cancel",
              "change_order": "change", "address_change": "change", "price_protection": "partial_refund",
              "other": "none"}
FAULT = {"damaged": "carrier", "wrong_item": "warehouse", "missing_item": "warehouse", "quality": "supplier",
         "size": "supplier", "not_received": "carrier", "false_delivery": "carrier", "no_reason_return": "customer"}
DETAILS = {
    "en": {"not_received": "Customer says the parcel never arrived.", "damaged": "Box crushed, the lamp is broken.",
           "quality": "Stitching came apart after two days.", "size": "Shoes are one size too small.",
           "wrong_item": "Received a blue mug instead of the black one.", "missing_item": "Only 1 of 2 items in the box."},
    "zh": {"not_received": "客户说一直没有收到包裹。", "damaged": "外箱压坏，灯罩破损。", "quality": "用了两天就开线了。",
           "size": "鞋子小了一码。", "wrong_item": "收到的是蓝色杯子，不是黑色。", "missing_item": "两件商品只收到一件。"},
}
COUNTRIES = [("US", "en"), ("DE", "de"), ("FR", "fr"), ("ES", "es"), ("BR", "pt"), ("GB", "en"), ("AU", "en"),
             ("MX", "es"), ("CN", "zh"), ("PL", "en"), ("NO", "en"), ("NZ", "en")]
COUNTRY_NAMES = {"DE": "Germany", "FR": "法国", "US": "United States"}
CURRENCY = {"US": "USD", "DE": "EUR", "FR": "EUR", "ES": "EUR", "BR": "BRL", "GB": "GBP", "AU": "AUD", "MX": "MXN",
            "CN": "CNY", "PL": "PLN", "NO": "NOK", "NZ": "NZD"}
STORES = ["Lumen Home", "Kaiyo Outdoor", "小鹿家居", "Bella Moda"]


def s10_number(rng: random.Random, prefix: str = "RR", country: str = "CN") -> str:
    """A UPU S10 number with a correct check digit (policy V4)."""
    serial = f"{rng.randrange(10**7, 10**8)}"
    total = sum(int(d) * w for d, w in zip(serial, (8, 6, 4, 2, 3, 5, 9, 7)))
    check = 11 - total % 11
    check = {10: 0, 11: 5}.get(check, check)
    return f"{prefix}{serial}{check}{country}"


def _tracking(rng: random.Random, i: int) -> tuple[str, str, str]:
    kind = i % 4
    if kind == 0:
        return s10_number(rng, rng.choice(["RR", "LP", "RB"])), "China Post", "postal"
    if kind == 1:
        return "YT" + "".join(rng.choice("0123456789") for _ in range(16)), "YunExpress", "line"
    if kind == 2:
        return "".join(rng.choice("0123456789") for _ in range(10)), "DHL Express", "express"
    return s10_number(rng, "EE"), "EMS", "express"


def _ts(dt: datetime, style: int) -> str:
    if style == 0:
        return dt.strftime("%Y-%m-%d %H:%M")
    if style == 1:
        return f"{dt.year}年{dt.month}月{dt.day}日 {dt.hour:02d}:{dt.minute:02d}"
    if style == 2:
        return dt.strftime("%Y/%m/%d %H:%M")
    return dt.strftime("%Y-%m-%d")  # date only: the policy treats it with benefit of the doubt


def sample_rows(now: datetime, seed: int = 7) -> dict[str, list[dict[str, str]]]:
    """Rows by tab stem, values by field, as people would type them."""
    rng = random.Random(seed)
    local = now.astimezone(ZoneInfo(TZ)).replace(second=0, microsecond=0)
    cases, logistics, cashback, reships = [], [], [], []
    for i in range(220):
        issue = ISSUES[i % len(ISSUES)]
        country, lang = COUNTRIES[rng.randrange(len(COUNTRIES))]
        paid = local - timedelta(days=rng.uniform(0.3, 75), minutes=rng.randrange(60))
        shipped = paid + timedelta(days=rng.uniform(0.5, 4)) if issue not in ("not_shipped", "cancel") or i % 3 else None
        delivered = None
        if shipped and issue in ("damaged", "wrong_item", "missing_item", "quality", "size", "no_reason_return",
                                 "false_delivery", "price_protection", "other"):
            delivered = shipped + timedelta(days=rng.uniform(4, 18))
            if delivered > local:
                delivered = local - timedelta(hours=rng.uniform(1, 40))
        opened = max(paid, delivered or paid) + timedelta(hours=rng.uniform(1, 72))
        if opened > local:
            opened = local - timedelta(hours=rng.uniform(0.2, 30))
        tracking = ""
        if shipped and i % 5 != 4:
            tracking, _, _ = _tracking(rng, i)
        photos = {"damaged": rng.choice([0, 2, 3, 4]), "quality": rng.choice([1, 3, 5]), "size": rng.choice([0, 1, 2]),
                  "wrong_item": rng.choice([0, 1]), "missing_item": rng.choice([0, 1])}.get(issue, 0)
        text_lang = "zh" if lang == "zh" or i % 4 == 0 else "en"
        status = rng.choice(["new", "new", "investigating", "waiting_client", "waiting_carrier", "approved", "resolved", "closed"])
        row = {
            "case_id": "" if i % 7 == 0 else f"CS-{i + 1:05d}",
            "opened_at": "" if i % 9 == 0 else _ts(opened, i % 3),
            "order_id": f"#{10400 + i}",
            "store": STORES[i % len(STORES)],
            "customer_language": "" if i % 6 == 0 else rng.choice([lang, lang, "zh-CN" if lang == "zh" else lang.upper()]),
            "destination_country": COUNTRY_NAMES.get(country, country) if i % 5 == 0 else country,
            "sku": f"SKU-{rng.choice(['LAMP', 'MUG', 'SHOE', 'TENT', 'DRESS'])}-{rng.randrange(1, 9)}",
            "order_amount": f"{rng.uniform(9, 180):.2f}" if i % 11 else f"¥{rng.uniform(60, 900):,.2f}",
            "currency": CURRENCY[country] if i % 11 else "CNY",
            "paid_at": _ts(paid, i % 4 if i % 13 else 3),
            "shipped_at": _ts(shipped, 0) if shipped else "",
            "delivered_at": _ts(delivered, i % 4) if delivered else "",
            "tracking_number": tracking,
            "issue_type": issue if i % 8 else issue.replace("_", " ").title(),
            "details": DETAILS[text_lang].get(issue, "See photos." if text_lang == "en" else "见图片。"),
            "evidence_links": " ".join(f"https://img.example.com/{i}/{k}.jpg" for k in range(photos)),
            "requested_resolution": RESOLUTION[issue],
            "fault": FAULT.get(issue, "unknown") if status in ("approved", "resolved", "investigating") else "",
            "status": status if issue not in ("not_received", "damaged") or i % 3 else "approved",
            "assignee": rng.choice(["Lily", "王芳", "Tom", ""]),
        }
        cases.append(row)
        if tracking and i % 3 == 0:
            _, carrier, service = _tracking(random.Random(i), i)
            logistics.append({"tracking_number": tracking, "carrier": carrier if i % 2 else "", "service": service if i % 2 else "",
                              "order_id": row["order_id"], "case_id": row["case_id"], "destination_country": country,
                              "shipped_at": row["shipped_at"], "declared_value": f"{rng.choice([8, 15, 22, 45, 60, 120])}",
                              "declared_currency": "USD", "weight_kg": f"{rng.choice([0.3, 0.8, 1.5, 3.5])}",
                              "contents": rng.choice(["Lamp", "Mug", "Shoes", "Wooden toy", "Feather pillow", "Dress"])})
    # Deliberately broken rows (each shows a specific, visible note).
    broken = [
        {"paid_at": "2025-13-45 25:00", "issue_type": "quality"},  # V2 unparseable
        {"order_amount": "-12", "refund_amount": "30"},  # V5 negative amount
        {"destination_country": "Narnia", "currency": "XYZ"},  # V6 / V5
        {"delivered_at": "2020-01-01 10:00"},  # V2 delivered before paid
        {"issue_type": "lost parcel??"},  # unknown choice
        {"details": "=HYPERLINK(\"http://evil.example\",\"click\")", "issue_type": "other"},  # text, never a formula
        {"order_id": ""},  # V1 required
    ]
    for k, patch in enumerate(broken):
        cases[10 + k * 3].update(patch)
    cases.append(dict(cases[20], case_id="", opened_at=""))  # V7 the same order + issue twice
    logistics.append({"tracking_number": "RR123456784CN", "carrier": "China Post", "order_id": "#10999",
                      "destination_country": "DE", "shipped_at": _ts(local - timedelta(days=9), 0),
                      "declared_value": "35", "declared_currency": "EUR", "weight_kg": "0.4", "contents": "Mug"})
    for j in range(26):
        c = cases[j * 7 + 1]
        agreed = local - timedelta(days=rng.choice([0, 0, 1, 3, 8]), hours=rng.uniform(0, 6))
        paid = agreed + timedelta(hours=2) if j % 3 == 0 and agreed + timedelta(hours=2) < local else None
        cashback.append({"cashback_id": "" if j % 5 == 0 else f"CB-{j + 1:05d}", "case_id": c["case_id"],
                         "order_id": c["order_id"], "reason": rng.choice(["shipping_fee", "price_difference", "quality_compensation"]),
                         "amount": f"{rng.uniform(2, 25):.2f}", "currency": c["currency"] or "USD",
                         "payee_account": f"paypal-demo-{j}@example.com", "agreed_at": _ts(agreed, 0),
                         "approved_by": rng.choice(["Lily", "王芳"]), "paid_at": _ts(paid, 0) if paid else "",
                         "payment_reference": f"PP{rng.randrange(10**9):09d}" if paid else ""})
    cashback.append(dict(cashback[2], cashback_id="", amount="9999"))  # V5 above the order, V7 paid twice
    for j in range(12):
        c = cases[j * 11 + 5]
        requested = local - timedelta(hours=rng.choice([5, 30, 47, 49, 90]))
        reships.append({"reship_id": f"RS-{j + 1:05d}", "case_id": c["case_id"], "original_order_id": c["order_id"],
                        "sku": c["sku"], "quantity": "1", "reason": rng.choice(["lost", "damaged", "missing_item"]),
                        "cost_bearer": rng.choice(["us", "carrier", ""]), "requested_at": _ts(requested, 0),
                        "new_tracking_number": s10_number(rng) if j % 3 == 0 else "",
                        "shipped_at": _ts(requested + timedelta(hours=20), 0) if j % 3 == 0 else ""})
    return {"cases": cases, "logistics": logistics, "cashback": cashback, "reships": reships}


CHINESE_TABS = ("cashback",)  # shown with Chinese headers, to show header aliases


def in_chinese(schema: TabSchema) -> TabSchema:
    """``schema`` with its first Chinese alias as tab title and headers (English kept as aliases)."""
    columns = tuple(replace(c, header=c.aliases[0], aliases=(c.header, *c.aliases[1:])) if c.aliases else c
                    for c in schema.columns)
    return replace(schema, tab=schema.aliases[0], aliases=(schema.tab, *schema.aliases[1:]), columns=columns)


def demo_schemas() -> list[TabSchema]:
    """The shipped schemas in tab order, the :data:`CHINESE_TABS` in Chinese."""
    return [in_chinese(shipped_schemas()[s]) if s in CHINESE_TABS else shipped_schemas()[s] for s in SHIPPED]


def sample_plan(now: datetime, seed: int = 7) -> WritePlan:
    """The sample rows as a plan of new tabs (laid out as ``init`` would) and appended rows
    (the Cashback tab uses Chinese headers)."""
    schemas = dict(zip(SHIPPED, demo_schemas()))
    plan = WritePlan()
    for stem, rows in sample_rows(now, seed).items():
        schema = schemas[stem]
        headers = {c.field: c.header for c in schema.columns}
        plan.new_tabs.append(new_tab(schema))
        for row in rows:
            plan.appends.append(RowAppend(tab=schema.tab, values=tuple((headers[f], v) for f, v in row.items() if v != "")))
    return plan


def build_demo(folder: Path, now: datetime, log: Callable[[str], None] = lambda s: None) -> Path:
    """Create ``folder/demo.xlsx`` afresh, run every job on it until nothing changes (rows
    the jobs create are evaluated on the next pass; two or three passes), and return its path.

    The runs are recorded like any ``run`` (entry ``demo``), so ``status`` and ``history``
    with ``--workbook folder/demo.xlsx`` show them."""
    from .audit import AuditStore
    from .backends.workbook import WorkbookBackend
    from .config import workbook_config
    from .jobs import DEFAULT_ORDER
    from .scheduler import execute_run

    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "demo.xlsx"
    if path.exists():
        path.unlink()
    backend = WorkbookBackend(path)
    backend.init_layout(demo_schemas())  # every tab as `init` lays it out (Cashback in Chinese)
    log("writing sample rows …")
    backend.apply(sample_plan(now))
    config = workbook_config(path, timezone=TZ, data_dir=folder / ".sheets-automation")
    store = AuditStore.in_dir(config.data_dir)
    for _ in range(4):
        _record, result = execute_run(config, config.spreadsheets[0], list(DEFAULT_ORDER), now, store=store,
                                      entry="demo", log=log)
        for message in result.tab_errors.values():
            log(f"error: {message}")
        if not result.plan:
            break
    return path
