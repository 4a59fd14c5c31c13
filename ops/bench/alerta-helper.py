#!/usr/bin/env python3
"""Helper of ops/bench/alerta (standard library only). Reuses ops/bench/ingest-helper.py (busy, cpu, wrk, waits)
and adds what the comparison needs:

    alerta-helper.py snap ROOT_PID [POSTMASTER_PID]        (JSON CPU snapshot; ROOT_PID and all its descendants
                                                            count as the server: gunicorn's master and workers)
    alerta-helper.py report RESULTS_DIR INGEST_JSON JSON_OUT MARKDOWN_OUT
                                                           (prints the summary line, writes the JSON and a
                                                            Markdown table for docs/performance.md)
    alerta-helper.py busy|cpu|wrk|waits ...                (as in ingest-helper.py)
"""
import importlib.util
import json
import os
import sys
import time

_spec = importlib.util.spec_from_file_location(
    "ingest_helper", os.path.join(os.path.dirname(os.path.abspath(__file__)), "ingest-helper.py"))
ingest = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(ingest)


def cmd_snap(root_pid, postmaster_pid=""):
    """CPU ticks of every process with its group: server (ROOT_PID's process tree), postgres, load or other.
    alerta opens a PostgreSQL connection per request, so thousands of backends start and end during a phase:
    their CPU is in their postmaster's cutime/cstime once it has reaped them, counted here for the postmaster
    of alerta's cluster (POSTMASTER_PID) and for the server's tree (else it would all count as other)."""
    stats = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        comm = stat[stat.index("(") + 1:stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2:].split()
        stats[entry] = (comm, fields)
    server = {root_pid}
    grew = True
    while grew:  # descendants: children of anything already in the tree
        grew = False
        for pid, (_, fields) in stats.items():
            if pid not in server and fields[1] in server:
                server.add(pid)
                grew = True
    processes = {}
    for pid, (comm, fields) in stats.items():
        ticks = int(fields[11]) + int(fields[12])  # utime + stime
        if pid in server or pid == postmaster_pid:
            ticks += int(fields[13]) + int(fields[14])  # + cutime + cstime: reaped children
        group = ("server" if pid in server else "postgres" if comm == "postgres"
                 else "load" if comm in ingest.LOAD else "other")
        processes[f"{pid}:{fields[19]}"] = [group, ticks]
    with open("/proc/stat") as f:
        cpu = [int(x) for x in f.readline().split()[1:]]
    print(json.dumps({"t": time.monotonic(), "busy": sum(cpu) - cpu[3] - cpu[4], "processes": processes}))


def ratio(a, b):
    """a / b to two decimals, or to three below 0.1 (alerta against its ceiling)."""
    if a is None or not b:
        return None
    return round(a / b, 2) if a / b >= 0.1 else round(a / b, 3)


def cmd_report(results_dir, ingest_json, json_out, markdown_out):
    def load(name):
        path = os.path.join(results_dir, name + ".json")
        return json.load(open(path)) if os.path.exists(path) else None

    run = load("run") or {}
    alerta = load("alerta_h1")
    if alerta is not None:
        for extra in ("cpu", "waits", "check", "db", "attempts"):
            value = load(f"alerta_h1.{extra}")
            if value is not None:
                alerta[extra] = value
    def pg(name):
        phase = load(name)
        if phase is not None:
            for extra in ("cpu", "attempts"):
                value = load(f"{name}.{extra}")
                if value is not None:
                    phase[extra] = value
        return phase

    alerta_pg = pg("alerta_pg_ceiling")
    alerta_pg_reconnect = pg("alerta_pg_reconnect")
    oncall_run = json.load(open(ingest_json)) if ingest_json != "-" and os.path.exists(ingest_json) else None
    oncall = oncall_run.get("distinct_h1") if oncall_run else None
    oncall_pg = oncall_run.get("pg_ceiling") if oncall_run else None

    o = oncall["per_s"] if oncall else None
    a = alerta["per_s"] if alerta else None
    opg = oncall_pg["tps"] if oncall_pg else None
    apg = alerta_pg["tps"] if alerta_pg else None
    apgc = alerta_pg_reconnect["tps"] if alerta_pg_reconnect else None
    ratios = {
        "oncall_over_alerta": ratio(o, a),
        "oncall_over_its_pg_ceiling": ratio(o, opg),
        "alerta_over_its_pg_ceiling": ratio(a, apg),
        "alerta_over_its_pg_ceiling_with_a_connection_per_alert": ratio(a, apgc),
        "alerta_pg_ceiling_over_oncall_pg_ceiling": ratio(apg, opg),
    }
    report = {"benchmark": "alerta", **run, "ratios": ratios,
              "oncall": {"distinct_h1": oncall, "pg_ceiling": oncall_pg,
                         "pg_server_statements": oncall_run.get("pg_server_statements") if oncall_run else None,
                         "binary_built": oncall_run.get("binary_built") if oncall_run else None,
                         "postgres": oncall_run.get("postgres") if oncall_run else None},
              "alerta": {"distinct_h1": alerta, "pg_ceiling": alerta_pg, "pg_ceiling_new_connection_each": alerta_pg_reconnect}}
    with open(json_out, "w") as f:
        json.dump(report, f, indent=2, sort_keys=True)
        f.write("\n")

    def n(x):
        return "?" if x is None else f"{x:,.0f}"

    def t(x):
        return "?" if x is None else (f"{x:,.0f}" if x >= 100 else f"{x:g}")

    def r(x):
        return "?" if x is None else f"{x:g}×"

    checks = [p.get("check", {}).get("ok") for p in (alerta,) if p]
    if oncall:
        checks.append(oncall.get("check", {}).get("ok"))
    parts = []
    if oncall:
        parts.append(f"On-Call {n(o)}/s p99 {t(oncall['p99_ms'])} ms")
    if alerta:
        parts.append(f"alerta {n(a)}/s p99 {t(alerta['p99_ms'])} ms ({run.get('alerta_workers', '?')})")
    if o is not None and a is not None:
        parts.append(f"On-Call/alerta {r(ratios['oncall_over_alerta'])}")
    if oncall_pg:
        parts.append(f"On-Call/its pg ceiling {n(opg)} tps = {r(ratios['oncall_over_its_pg_ceiling'])}")
    if alerta_pg:
        parts.append(f"alerta/its pg ceiling {n(apg)} tps = {r(ratios['alerta_over_its_pg_ceiling'])}")
    if alerta_pg_reconnect:
        parts.append(f"with a connection per transaction {n(apgc)} tps = {r(ratios['alerta_over_its_pg_ceiling_with_a_connection_per_alert'])}")
    if checks:
        parts.append("2xx in the database: " + ("all" if all(checks) else "MISMATCH"))
    print("alerta: " + "; ".join(parts))

    # The table for docs/performance.md.
    rows = []

    def cpu(p):
        c = (p or {}).get("cpu")
        if not c:
            return ""
        return f"; CPU: server {c['server']}, PostgreSQL {c['postgres']}, load {c['load']}, other {c['other']} cores"

    if oncall:
        db = oncall.get("db", {})
        rows.append(f"| On-Call (`oncall serve`, release build) | **{n(o)}/s** | {t(oncall['p50_ms'])} ms | {t(oncall['p99_ms'])} ms | "
                    f"{oncall['non_2xx']} non-2xx; {db.get('transactions_per_alert', '?')} transactions per alert{cpu(oncall)} |")
    if alerta:
        db = alerta.get("db", {})
        rows.append(f"| alerta-server {run.get('alerta_version', '?')} (gunicorn, {run.get('alerta_workers', '?')}) | **{n(a)}/s** | "
                    f"{t(alerta['p50_ms'])} ms | {t(alerta['p99_ms'])} ms | {alerta['non_2xx']} non-2xx; "
                    f"{db.get('transactions_per_alert', '?')} transactions and {db.get('sessions_per_alert', '?')} new PostgreSQL sessions per alert{cpu(alerta)} |")
    if oncall_pg:
        rows.append(f"| PostgreSQL ceiling, On-Call's rows (incident + journal row per transaction) | **{n(opg)} tps** | | | "
                    f"On-Call is **{r(ratios['oncall_over_its_pg_ceiling'])}** it{cpu(oncall_pg)} |")
    if alerta_pg:
        rows.append(f"| PostgreSQL ceiling, alerta's row (one `alerts` row per transaction) | **{n(apg)} tps** | | | "
                    f"alerta is **{r(ratios['alerta_over_its_pg_ceiling'])}** it{cpu(alerta_pg)} |")
    if alerta_pg_reconnect:
        rows.append(f"| PostgreSQL, alerta's row with a new connection per transaction (`pgbench -C`, as alerta connects per request) | "
                    f"**{n(apgc)} tps** | | | connection {alerta_pg_reconnect.get('average_connection_ms')} ms on average; "
                    f"alerta is **{r(ratios['alerta_over_its_pg_ceiling_with_a_connection_per_alert'])}** it{cpu(alerta_pg_reconnect)} |")
    with open(markdown_out, "w") as f:
        f.write("| system | new alerts/s (HTTP/1.1, wrk 64 connections) | p50 | p99 | notes |\n|---|---|---|---|---|\n")
        f.write("\n".join(rows) + "\n")
        if o is not None and a is not None:
            f.write(f"\nOn-Call / alerta: **{r(ratios['oncall_over_alerta'])}**\n")


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "snap":
        cmd_snap(*args)
    elif cmd == "report":
        cmd_report(*args)
    elif cmd == "busy":
        ingest.cmd_busy(*args)
    elif cmd == "cpu":
        ingest.cmd_cpu(*args)
    elif cmd == "wrk":
        ingest.cmd_wrk(*args)
    elif cmd == "waits":
        ingest.cmd_waits(*args)
    else:
        sys.exit(f"unknown command {cmd}")


if __name__ == "__main__":
    main()
