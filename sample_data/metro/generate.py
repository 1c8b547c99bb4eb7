"""Deterministic metro (urban rail) operator warehouse -> DuckDB file.

Tables:
  lines(line_id PK, line_name, line_color, opened_date)
  districts(district_id PK, district_name)
  stations(station_id PK, station_name, line_id FK, district_id FK, station_type)
  ticket_types(ticket_type_id PK, ticket_type_name)
  incident_categories(category_id PK, category_name)
  station_ridership_daily(ride_date, station_id, entries, exits)
  train_operations_daily(service_date, line_id, scheduled_trips, operated_trips, delayed_trips, delay_minutes)
  fare_revenue_daily(fare_date, line_id, ticket_type_id, journeys, fare_revenue)
  incidents(incident_id, incident_date, line_id, station_id, category_id, duration_minutes)

Planted stories:
  * Line 3 delays spike in July 2025 (signal failures): delayed trips x4, delay minutes x5,
    and many extra 'Signal Failure' incidents on Line 3 that month.
  * QR Code ticketing grows steadily from ~20% to ~50% of journeys, taking share from single journey tickets
    (single journey ~35% -> ~12%, stored-value card ~45% -> ~38%).
  * Line 5 opens on 2024-09-28 (no data before).
  * Spring Festival dips (2024-02-10.., 2025-01-29..) in ridership.
Run: python generate.py OUT.duckdb
"""
import datetime as dt
import sys
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

SEED = 20251205
START, END = dt.date(2024, 1, 1), dt.date(2025, 12, 31)

LINES = [(1, "Line 1", "Red", dt.date(2008, 10, 1)), (2, "Line 2", "Blue", dt.date(2011, 6, 28)),
         (3, "Line 3", "Green", dt.date(2015, 12, 26)), (4, "Line 4", "Yellow", dt.date(2019, 4, 30)),
         (5, "Line 5", "Purple", dt.date(2024, 9, 28))]
DISTRICTS = [(1, "Old Town"), (2, "Northgate"), (3, "Harbor"), (4, "Eastlake"), (5, "Westfield"), (6, "Airport Zone")]
# station name, line, district, type, base daily entries
STATIONS = [
    ("Central Square", 1, 1, "transfer", 52000), ("Museum Road", 1, 1, "regular", 18000),
    ("Bell Tower", 1, 1, "regular", 21000), ("Northgate Plaza", 1, 2, "transfer", 30000),
    ("Willow Park", 1, 2, "regular", 9000), ("Hilltop", 1, 2, "terminal", 7000),
    ("Fisherman Wharf", 1, 3, "terminal", 11000), ("Dockyard", 1, 3, "regular", 8000),
    ("East Market", 2, 4, "regular", 16000), ("Lakeside", 2, 4, "transfer", 24000),
    ("Eastlake University", 2, 4, "regular", 20000), ("Zoo Gate", 2, 4, "terminal", 6000),
    ("West Bridge", 2, 5, "regular", 12000), ("Westfield Mall", 2, 5, "regular", 26000),
    ("Grand Theatre", 2, 1, "regular", 14000), ("Ferry Terminal", 2, 3, "terminal", 9500),
    ("Airport T1", 3, 6, "terminal", 15000), ("Airport T2", 3, 6, "regular", 13000),
    ("Logistics Park", 3, 6, "regular", 4000), ("South Railway Station", 3, 5, "transfer", 38000),
    ("Stadium", 3, 5, "regular", 10000), ("Science Center", 3, 2, "regular", 11000),
    ("Tech Valley", 4, 2, "regular", 22000), ("Innovation Hub", 4, 2, "regular", 17000),
    ("Riverside Gardens", 4, 3, "regular", 8000), ("Harbor City", 4, 3, "transfer", 19000),
    ("Old Mill", 4, 1, "regular", 7500), ("Pine Hill", 4, 5, "terminal", 5000),
    ("New Port", 5, 3, "terminal", 6000), ("Sunset Bay", 5, 3, "regular", 5500),
    ("Greenfield", 5, 5, "regular", 7000), ("Expo Center", 5, 6, "regular", 9000),
    ("Cherry Orchard", 5, 4, "terminal", 4500),
]
TICKET_TYPES = [(1, "Single Journey"), (2, "Stored-Value Card"), (3, "QR Code")]
CATEGORIES = [(1, "Signal Failure", 0.22, 25), (2, "Door Fault", 0.28, 12), (3, "Power Supply", 0.10, 40),
              (4, "Passenger Illness", 0.20, 15), (5, "Track Obstruction", 0.08, 30), (6, "Rolling Stock Fault", 0.12, 35)]
SCHED = {1: 320, 2: 300, 3: 240, 4: 220, 5: 160}
SPIKE = (3, dt.date(2025, 7, 1), dt.date(2025, 7, 31))
FESTIVALS = [(dt.date(2024, 2, 8), dt.date(2024, 2, 18)), (dt.date(2025, 1, 27), dt.date(2025, 2, 6))]


def build(out: Path) -> None:
    rng = np.random.default_rng(SEED)
    days = pd.date_range(START, END, freq="D")
    nd = len(days)
    dow = days.dayofweek.to_numpy()
    t = np.arange(nd) / 365.0
    season = np.where(dow >= 5, 0.72, 1.0) * (1 + 0.03 * t)
    for a, b in FESTIVALS:
        season = np.where((days >= pd.Timestamp(a)) & (days <= pd.Timestamp(b)), season * 0.45, season)
    opened = {ln: pd.Timestamp(max(o, START)) for ln, _, _, o in LINES}
    line_open = {ln: np.asarray(days >= opened[ln]) for ln in opened}

    # ridership
    rows = []
    for sid, (_name, ln, _dist, _typ, base) in enumerate(STATIONS, start=1):
        ramp = np.ones(nd)
        if ln == 5:
            since = np.asarray((days - opened[5]).days)
            ramp = np.clip(0.5 + since / 360.0, 0.5, 1.0)
        ent = base * season * ramp * rng.lognormal(0, 0.06, nd)
        ex = ent * rng.normal(1.0, 0.03, nd)
        m = line_open[ln]
        rows.append(pd.DataFrame({"ride_date": days[m].date, "station_id": sid,
                                  "entries": np.round(ent[m]).astype(int), "exits": np.round(ex[m]).astype(int)}))
    ridership = pd.concat(rows, ignore_index=True)

    # train operations
    ops = []
    for ln, sched in SCHED.items():
        m = line_open[ln]
        sch = np.full(nd, sched) - np.where(dow >= 5, sched // 5, 0)
        cancelled = rng.binomial(sch, 0.004)
        delayed_rate = np.full(nd, {1: 0.025, 2: 0.03, 3: 0.035, 4: 0.02, 5: 0.045}[ln])
        if ln == SPIKE[0]:
            sp = (days >= pd.Timestamp(SPIKE[1])) & (days <= pd.Timestamp(SPIKE[2]))
            delayed_rate = np.where(sp, delayed_rate * 4, delayed_rate)
        delayed = rng.binomial(sch - cancelled, delayed_rate)
        mins = np.round(delayed * rng.gamma(2.0, 2.2, nd) * (np.where(
            (days >= pd.Timestamp(SPIKE[1])) & (days <= pd.Timestamp(SPIKE[2])), 1.3, 1.0) if ln == SPIKE[0] else 1.0), 1)
        ops.append(pd.DataFrame({"service_date": days[m].date, "line_id": ln, "scheduled_trips": sch[m],
                                 "operated_trips": (sch - cancelled)[m], "delayed_trips": delayed[m],
                                 "delay_minutes": mins[m]}))
    operations = pd.concat(ops, ignore_index=True)

    # fare revenue by line x ticket type (journeys ~ entries on the line)
    line_entries = ridership.merge(pd.DataFrame({"station_id": range(1, len(STATIONS) + 1),
                                                 "line_id": [s[1] for s in STATIONS]}), on="station_id") \
        .groupby(["ride_date", "line_id"], as_index=False).entries.sum()
    qr = 0.20 + 0.30 * np.clip(t / 2.0, 0, 1)
    svc = 0.45 - 0.07 * np.clip(t / 2.0, 0, 1)
    single = 1 - qr - svc
    shares = {1: single, 2: svc, 3: qr}
    fares = {1: 4.2, 2: 3.6, 3: 3.8}
    day_idx = {d: i for i, d in enumerate(days.date)}
    fr = []
    li = line_entries.ride_date.map(day_idx).to_numpy()
    for tt, _ in TICKET_TYPES:
        j = np.round(line_entries.entries.to_numpy() * shares[tt][li] * rng.normal(1, 0.02, len(li))).astype(int)
        rev = np.round(j * fares[tt] * rng.normal(1, 0.03, len(li)), 2)
        fr.append(pd.DataFrame({"fare_date": line_entries.ride_date, "line_id": line_entries.line_id,
                                "ticket_type_id": tt, "journeys": j, "fare_revenue": rev}))
    fare = pd.concat(fr, ignore_index=True).sort_values(["fare_date", "line_id", "ticket_type_id"])

    # incidents
    inc = []
    st = pd.DataFrame({"station_id": range(1, len(STATIONS) + 1), "line_id": [s[1] for s in STATIONS]})
    probs = np.array([c[2] for c in CATEGORIES])
    for ln in SCHED:
        sids = st[st.line_id == ln].station_id.to_numpy()
        lam = np.where(line_open[ln], 0.9, 0.0)
        n = rng.poisson(lam)
        if ln == SPIKE[0]:
            sp = (days >= pd.Timestamp(SPIKE[1])) & (days <= pd.Timestamp(SPIKE[2]))
            extra = np.where(sp, rng.poisson(2.5, nd), 0)
        else:
            extra = np.zeros(nd, dtype=int)
        for i in np.nonzero(n + extra)[0]:
            for k in range(n[i] + extra[i]):
                cat = int(rng.choice(len(CATEGORIES), p=probs)) + 1 if k < n[i] else 1
                inc.append((days[i].date(), ln, int(rng.choice(sids)), cat,
                            round(float(rng.gamma(2.0, CATEGORIES[cat - 1][3] / 2.0)), 1)))
    incidents = pd.DataFrame(inc, columns=["incident_date", "line_id", "station_id", "category_id", "duration_minutes"])
    incidents.insert(0, "incident_id", np.arange(1, len(incidents) + 1))

    if out.exists():
        out.unlink()
    con = duckdb.connect(str(out))
    con.execute("""
    CREATE TABLE lines (line_id INTEGER PRIMARY KEY, line_name VARCHAR, line_color VARCHAR, opened_date DATE);
    CREATE TABLE districts (district_id INTEGER PRIMARY KEY, district_name VARCHAR);
    CREATE TABLE stations (station_id INTEGER PRIMARY KEY, station_name VARCHAR,
        line_id INTEGER REFERENCES lines (line_id), district_id INTEGER REFERENCES districts (district_id),
        station_type VARCHAR);
    CREATE TABLE ticket_types (ticket_type_id INTEGER PRIMARY KEY, ticket_type_name VARCHAR);
    CREATE TABLE incident_categories (category_id INTEGER PRIMARY KEY, category_name VARCHAR);
    CREATE TABLE station_ridership_daily (ride_date DATE, station_id INTEGER REFERENCES stations (station_id),
        entries INTEGER, exits INTEGER);
    CREATE TABLE train_operations_daily (service_date DATE, line_id INTEGER REFERENCES lines (line_id),
        scheduled_trips INTEGER, operated_trips INTEGER, delayed_trips INTEGER, delay_minutes DOUBLE);
    CREATE TABLE fare_revenue_daily (fare_date DATE, line_id INTEGER REFERENCES lines (line_id),
        ticket_type_id INTEGER REFERENCES ticket_types (ticket_type_id), journeys INTEGER, fare_revenue DOUBLE);
    CREATE TABLE incidents (incident_id INTEGER PRIMARY KEY, incident_date DATE,
        line_id INTEGER REFERENCES lines (line_id), station_id INTEGER REFERENCES stations (station_id),
        category_id INTEGER REFERENCES incident_categories (category_id), duration_minutes DOUBLE);
    """)
    frames = {
        "lines": pd.DataFrame(LINES, columns=["line_id", "line_name", "line_color", "opened_date"]),
        "districts": pd.DataFrame(DISTRICTS, columns=["district_id", "district_name"]),
        "stations": pd.DataFrame([(i, s[0], s[1], s[2], s[3]) for i, s in enumerate(STATIONS, start=1)],
                                 columns=["station_id", "station_name", "line_id", "district_id", "station_type"]),
        "ticket_types": pd.DataFrame(TICKET_TYPES, columns=["ticket_type_id", "ticket_type_name"]),
        "incident_categories": pd.DataFrame([(c[0], c[1]) for c in CATEGORIES], columns=["category_id", "category_name"]),
        "station_ridership_daily": ridership, "train_operations_daily": operations,
        "fare_revenue_daily": fare, "incidents": incidents,
    }
    for name, frame in frames.items():
        con.register("_f", frame)
        con.execute(f"INSERT INTO {name} SELECT * FROM _f")
        con.unregister("_f")
    con.close()


if __name__ == "__main__":
    build(Path(sys.argv[1] if len(sys.argv) > 1 else "metro.duckdb"))
