#!/usr/bin/env python3
"""Helper of ops/bench/ingest (standard library only): URI lists for h2load, CPU snapshots, parsing of wrk and
h2load results, the open-loop fixed-rate client, wait-event summaries and the final report.

    ingest-helper.py uris URL PREFIX COUNT FILE
    ingest-helper.py snap SERVER_PID                      (prints a JSON CPU snapshot)
    ingest-helper.py busy SECONDS                         (cores busy on the machine over that time)
    ingest-helper.py cpu BEFORE.json AFTER.json           (cores used per group between two snapshots)
    ingest-helper.py wrk OUTPUT                           (JSON of a wrk --latency run)
    ingest-helper.py h2 SECONDS LOG... -- OUTPUT...       (JSON of h2load runs: --log-file rows + printed totals)
    ingest-helper.py steady URL KEY PREFIX RATE SECONDS CONNECTIONS
    ingest-helper.py waits SAMPLES                        (JSON: share of each wait event among active backends)
    ingest-helper.py report RESULTS_DIR JSON_OUT          (prints the summary line, writes the JSON)
"""
import asyncio
import json
import os
import re
import sys
import time
import urllib.parse


def percentile(sorted_values, p):
    """Nearest-rank percentile of an ascending list (None when empty)."""
    if not sorted_values:
        return None
    rank = max(1, -(-len(sorted_values) * p // 100))
    return sorted_values[int(rank) - 1]


def ms(us):
    return None if us is None else round(us / 1000.0, 2)


# --- URI lists -----------------------------------------------------------------------------------------------

def cmd_uris(url, prefix, count, path):
    with open(path, "w") as f:
        for n in range(1, int(count) + 1):
            f.write(f"{url}?title=Ingest%20benchmark%20alert&severity=info&dedup_key={prefix}-{n}\n")


# --- CPU ---------------------------------------------------------------------------------------------------

LOAD = {"wrk", "h2load", "pgbench", "python3", "psql"}


def cmd_snap(server_pid):
    """CPU ticks of every process, with its group (server, postgres, load or other), and of the machine."""
    processes = {}
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
        ticks = int(fields[11]) + int(fields[12])  # utime + stime
        group = ("server" if entry == server_pid else "postgres" if comm == "postgres" else "load" if comm in LOAD else "other")
        processes[f"{entry}:{fields[19]}"] = [group, ticks]  # pid and start time: a reused pid is another process
    with open("/proc/stat") as f:
        cpu = [int(x) for x in f.readline().split()[1:]]
    idle = cpu[3] + cpu[4]
    print(json.dumps({"t": time.monotonic(), "busy": sum(cpu) - idle, "processes": processes}))


def cmd_busy(seconds):
    """Cores busy on the whole machine over the next `seconds`."""
    def read():
        with open("/proc/stat") as f:
            cpu = [int(x) for x in f.readline().split()[1:]]
        return sum(cpu) - cpu[3] - cpu[4]
    a = read()
    time.sleep(float(seconds))
    print(round((read() - a) / os.sysconf("SC_CLK_TCK") / float(seconds), 2))


def cmd_cpu(before_path, after_path):
    """Cores used per group between two snapshots: per process (ticks since the first snapshot, or all of them
    for a process started since); whatever else kept the machine busy (processes that ended meanwhile, the
    kernel) counts as other."""
    with open(before_path) as f:
        a = json.load(f)
    with open(after_path) as f:
        b = json.load(f)
    hz = os.sysconf("SC_CLK_TCK")
    wall = b["t"] - a["t"]
    ticks = {"server": 0, "postgres": 0, "load": 0}
    for key, (group, after) in b["processes"].items():
        if group in ticks:
            ticks[group] += after - a["processes"].get(key, [group, 0])[1]
    cores = {k: round(v / hz / wall, 2) for k, v in ticks.items()}
    busy = (b["busy"] - a["busy"]) / hz / wall
    cores["machine_busy"] = round(busy, 2)
    cores["other"] = round(max(0.0, busy - sum(ticks.values()) / hz / wall), 2)
    cores["machine_cores"] = os.cpu_count()
    print(json.dumps(cores))


# --- wrk ---------------------------------------------------------------------------------------------------

def duration_us(text):
    m = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text)
    value, unit = float(m.group(1)), m.group(2)
    return value * {"us": 1, "ms": 1000, "s": 1_000_000, "m": 60_000_000}[unit]


def cmd_wrk(path):
    text = open(path).read()
    out = {}
    m = re.search(r"(\d+) requests in ([\d.]+)(ms|s|m)", text)
    out["responses"] = int(m.group(1))
    out["seconds"] = duration_us(m.group(2) + m.group(3)) / 1e6
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    out["non_2xx"] = int(m.group(1)) if m else 0
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    out["socket_errors"] = sum(int(x) for x in m.groups()) if m else 0
    out["accepted"] = out["responses"] - out["non_2xx"]
    out["per_s"] = round(out["accepted"] / out["seconds"], 1)
    for p in ("50", "75", "90", "99"):
        m = re.search(rf"^\s+{p}%\s+(\S+)", text, re.M)
        out[f"p{p}_ms"] = round(duration_us(m.group(1)) / 1000, 2) if m else None
    print(json.dumps(out))


# --- h2load ------------------------------------------------------------------------------------------------

def cmd_h2(seconds, args):
    split = args.index("--")
    logs, outputs = args[:split], args[split + 1:]
    statuses = {}
    latencies = []
    per_log = []
    for path in logs:
        accepted = 0
        with open(path) as f:
            for line in f:
                parts = line.split("\t")
                if len(parts) < 3:
                    continue
                status = parts[1]
                statuses[status] = statuses.get(status, 0) + 1
                if status == "202":
                    accepted += 1
                    latencies.append(int(parts[2]))
        per_log.append(accepted)
    failed = 0
    for path in outputs:
        m = re.search(r"requests: \d+ total, \d+ started, \d+ done, \d+ succeeded, (\d+) failed, (\d+) errored, (\d+) timeout",
                      open(path).read())
        if m:
            failed += int(m.group(1))
    latencies.sort()
    accepted = statuses.get("202", 0)
    seconds = float(seconds)
    print(json.dumps({
        "accepted": accepted,
        "other_statuses": {k: v for k, v in statuses.items() if k != "202"},
        "failed_streams": failed,
        "seconds": seconds,
        "per_s": round(accepted / seconds, 1),
        "p50_ms": ms(percentile(latencies, 50)),
        "p90_ms": ms(percentile(latencies, 90)),
        "p99_ms": ms(percentile(latencies, 99)),
        "max_ms": ms(latencies[-1] if latencies else None),
        "most_accepted_by_one_client": max(per_log) if per_log else 0,
    }))


# --- open-loop fixed-rate client (HTTP/1.1) ----------------------------------------------------------------

async def steady(url, key, prefix, rate, seconds, connections):
    """Sends `rate` alerts a second for `seconds` on a fixed schedule over `connections` keep-alive connections;
    each latency runs from the request's scheduled send time, so a server that falls behind is charged for the
    queue it causes (no coordinated omission)."""
    parsed = urllib.parse.urlsplit(url)
    host, port, path = parsed.hostname, parsed.port, parsed.path
    queue = asyncio.Queue()
    latencies, statuses = [], {}
    total = int(rate * seconds)

    async def worker():
        reader, writer = await asyncio.open_connection(host, port)
        while True:
            item = await queue.get()
            if item is None:
                break
            n, due = item
            body = ('{"title":"Ingest benchmark alert","severity":"info","dedup_key":"%s-%d"}' % (prefix, n)).encode()
            writer.write((f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: application/json\r\n"
                          f"X-Integration-Key: {key}\r\nContent-Length: {len(body)}\r\n\r\n").encode() + body)
            head = await reader.readuntil(b"\r\n\r\n")
            status = head.split(b" ", 2)[1].decode()
            m = re.search(rb"(?i)content-length:\s*(\d+)", head)
            if m:
                await reader.readexactly(int(m.group(1)))
            latencies.append(time.monotonic() - due)
            statuses[status] = statuses.get(status, 0) + 1
        writer.close()

    workers = [asyncio.create_task(worker()) for _ in range(connections)]
    start = time.monotonic() + 0.2
    for n in range(total):
        due = start + n / rate
        delay = due - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        queue.put_nowait((n + 1, due))
    sent_by = time.monotonic() - start
    for _ in workers:
        queue.put_nowait(None)
    # A server that cannot keep up would take minutes to drain the backlog: stop waiting after a grace period,
    # and count what was never answered at its waiting time so far (the percentiles are then lower bounds).
    grace = max(10.0, seconds / 2)
    done, pending = await asyncio.wait(workers, timeout=grace)
    for task in pending:
        task.cancel()
    finished = time.monotonic() - start
    unanswered = total - len(latencies)
    now = time.monotonic()
    answered = len(latencies)
    latencies.extend(now - (start + n / rate) for n in range(answered, total))
    latencies.sort()
    accepted = statuses.get("202", 0)
    print(json.dumps({
        "offered_per_s": rate,
        "scheduled": total,
        "accepted": accepted,
        "other_statuses": {k: v for k, v in statuses.items() if k != "202"},
        "seconds_to_schedule": round(sent_by, 2),
        "seconds_to_finish": round(finished, 2),
        "per_s": round(accepted / finished, 1),
        "p50_ms": round(percentile(latencies, 50) * 1000, 2),
        "p90_ms": round(percentile(latencies, 90) * 1000, 2),
        "p99_ms": round(percentile(latencies, 99) * 1000, 2),
        "max_ms": round(latencies[-1] * 1000, 2),
        "unanswered": unanswered,
        "percentiles_are_lower_bounds": unanswered > 0,
        "connections": connections,
    }))


# --- wait events -------------------------------------------------------------------------------------------

def cmd_waits(path):
    counts, samples = {}, 0
    for line in open(path):
        line = line.strip()
        if line == "--":
            samples += 1
        elif line:
            counts[line] = counts.get(line, 0) + 1
    total = sum(counts.values())
    top = sorted(counts.items(), key=lambda kv: -kv[1])[:8]
    print(json.dumps({
        "samples": samples,
        "mean_active_backends": round(total / samples, 1) if samples else 0,
        "share": {k: round(v / total, 3) for k, v in top} if total else {},
    }))


# --- report ------------------------------------------------------------------------------------------------

def cmd_report(results_dir, json_out):
    def load(name):
        path = os.path.join(results_dir, name + ".json")
        return json.load(open(path)) if os.path.exists(path) else None

    run = load("run")
    phases = {}
    for name in ("distinct_h1", "distinct_h2", "hot_key_h2", "steady", "pg_ceiling", "pg_server_statements", "pg_batched"):
        phase = load(name)
        if phase is None:
            continue
        for extra in ("cpu", "waits", "check", "db", "attempts"):
            value = load(f"{name}.{extra}")
            if value is not None:
                phase[extra] = value
        phases[name] = phase

    targets = {"new_alerts_per_s": 5000, "p99_ms_at_1000_per_s": 50, "hot_key_per_s": 20000}
    h1, h2, hot, steady_, pg, pgs = (phases.get(k) for k in
                                     ("distinct_h1", "distinct_h2", "hot_key_h2", "steady", "pg_ceiling", "pg_server_statements"))
    best = max((p["per_s"] for p in (h1, h2) if p), default=None)
    ratio = round(best / pg["tps"], 2) if best is not None and pg and pg.get("tps") else None
    ratio_server = round(best / pgs["alerts_per_s"], 2) if best is not None and pgs and pgs.get("alerts_per_s") else None
    verdicts = {}
    if best is not None:
        verdicts["new_alerts_per_s"] = "met" if best >= targets["new_alerts_per_s"] else "missed"
    if hot:
        verdicts["hot_key_per_s"] = "met" if hot["per_s"] >= targets["hot_key_per_s"] else "missed"
    if steady_ and steady_["offered_per_s"] == 1000:
        sustained = steady_["per_s"] >= 0.95 * steady_["offered_per_s"]
        verdicts["p99_ms_at_1000_per_s"] = "met" if sustained and steady_["p99_ms"] <= targets["p99_ms_at_1000_per_s"] else "missed"

    report = {"benchmark": "ingest", **(run or {}), "targets": targets, "verdicts": verdicts,
              "best_new_alerts_per_s": best, "ratio_to_pg_ceiling": ratio,
              "ratio_to_pg_server_statements": ratio_server, **phases}
    with open(json_out, "w") as f:
        json.dump(report, f, indent=2, sort_keys=True)
        f.write("\n")

    def n(x):
        return "?" if x is None else f"{x:,.0f}"

    def t(x):
        return "?" if x is None else (f"{x:,.0f}" if x >= 100 else f"{x:g}")

    parts = []
    if h1:
        parts.append(f"distinct h1 {n(h1['per_s'])}/s p99 {t(h1['p99_ms'])} ms")
    if h2:
        parts.append(f"distinct h2 {n(h2['per_s'])}/s p99 {t(h2['p99_ms'])} ms")
    if hot:
        parts.append(f"hot key h2 {n(hot['per_s'])}/s p99 {t(hot['p99_ms'])} ms")
    if steady_:
        bound = ">= " if steady_["percentiles_are_lower_bounds"] else ""
        parts.append(f"at {n(steady_['offered_per_s'])}/s offered ({n(steady_['per_s'])}/s done) p99 {bound}{t(steady_['p99_ms'])} ms")
    if pg:
        parts.append(f"pg ceiling {n(pg['tps'])} tps (ratio {ratio})")
    if pgs:
        parts.append(f"pg replaying the server's statements {n(pgs['alerts_per_s'])} alerts/s" + (f" (ratio {ratio_server})" if ratio_server else ""))
    batched = phases.get("pg_batched")
    if batched:
        parts.append(f"pg {batched['alerts_per_transaction']} per transaction {n(batched['alerts_per_s'])} alerts/s")
    checks = [p.get("check", {}).get("ok") for p in (h1, h2, hot, steady_) if p]
    if checks:
        parts.append("202s in the database: " + ("all" if all(checks) else "MISMATCH"))
    print("ingest: " + "; ".join(parts))


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "uris":
        cmd_uris(*args)
    elif cmd == "snap":
        cmd_snap(*args)
    elif cmd == "busy":
        cmd_busy(*args)
    elif cmd == "cpu":
        cmd_cpu(*args)
    elif cmd == "wrk":
        cmd_wrk(*args)
    elif cmd == "h2":
        cmd_h2(args[0], args[1:])
    elif cmd == "steady":
        url, key, prefix, rate, seconds, connections = args
        asyncio.run(steady(url, key, prefix, float(rate), float(seconds), int(connections)))
    elif cmd == "waits":
        cmd_waits(*args)
    elif cmd == "report":
        cmd_report(*args)
    else:
        sys.exit(f"unknown command {cmd}")


if __name__ == "__main__":
    main()
