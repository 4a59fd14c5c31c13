#!/usr/bin/env python3
"""The chaos suite of the "prove it" issue (see ops/chaos/README.md).

Two `oncall serve` nodes on one PostgreSQL 15 cluster of our own, under mixed load (webhooks, acknowledges,
notes, resolves, reads) for N cycles, while a seeded random schedule kill -9s nodes and restarts them,
restarts PostgreSQL, and makes the fake PSA, Hub Billing and paging receivers fail for a while. Then the faults
end, everything settles, every open incident is acknowledged and resolved, the outbox drains, and the
invariants are checked from the database and the fakes' records. Exit 1 on any violation.
"""
import argparse
import collections
import datetime
import http.client
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import uuid

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
PGBIN = "/usr/lib/postgresql/15/bin"
TENANT = "chaos-msp"
SERVICE = "svc"
LEASE = "2s"
LAYER_DELAYS = (6, 8)          # seconds: escalation layers 1 and 2 (repeat: 1), so timers fire all the time
INTEGRATION_KEY = "oc_chaos_" + "k3y" * 8
T0 = time.time()


def log(msg):
    print("[%7.1fs] %s" % (time.time() - T0, msg), flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ----------------------------------------------------------------------------------------------------------
# Processes: PostgreSQL, the fakes, the nodes. Everything started is remembered and stopped on exit.

class Cluster:
    def __init__(self, tmp, out):
        self.tmp, self.out = tmp, out
        self.data = os.path.join(tmp, "pg")
        self.run = os.path.join(tmp, "run")
        self.logdir = os.path.join(tmp, "pglog")
        self.port = free_port()
        self.as_root = os.geteuid() == 0
        self.url = "postgres://oncall@/oncall?host=%s&port=%d" % (self.run, self.port)

    def _pg(self, *args, check=True):
        cmd = list(args)
        if self.as_root:
            cmd = ["runuser", "-u", "postgres", "--"] + cmd
        r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd="/")
        if check and r.returncode != 0:
            raise RuntimeError("%s failed (%d): %s" % (" ".join(args), r.returncode, r.stdout))
        return r

    def init(self):
        for d in (self.data, self.run, self.logdir):
            os.makedirs(d, mode=0o700 if d == self.data else 0o755)
            if self.as_root:
                shutil.chown(d, "postgres", "postgres")
        self._pg(PGBIN + "/initdb", "-D", self.data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync")
        with open(os.path.join(self.data, "postgresql.conf"), "a") as f:
            f.write("\nlisten_addresses = ''\nunix_socket_directories = '%s'\nport = %d\nmax_connections = 300\n"
                    "shared_buffers = 128MB\nlog_min_messages = warning\n" % (self.run, self.port))
        self.start()
        self.psql("CREATE ROLE oncall LOGIN", user="postgres", db="postgres")
        self.psql("CREATE DATABASE oncall OWNER oncall", user="postgres", db="postgres")

    def start(self):
        self._pg(PGBIN + "/pg_ctl", "-D", self.data, "-l", os.path.join(self.logdir, "postgres.log"), "-w", "-t", "60", "start")

    def stop(self, mode="fast", check=True):
        return self._pg(PGBIN + "/pg_ctl", "-D", self.data, "-m", mode, "-w", "-t", "60", "stop", check=check)

    def psql(self, sql, user="oncall", db="oncall", check=True):
        r = subprocess.run([PGBIN + "/psql", "-h", self.run, "-p", str(self.port), "-U", user, "-d", db, "-v", "ON_ERROR_STOP=1",
                            "-At", "-c", sql], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        if check and r.returncode != 0:
            raise RuntimeError("psql failed: %s\n%s" % (r.stderr, sql))
        return r.stdout.strip()

    def rows(self, sql):
        text = self.psql("SELECT coalesce(json_agg(t), '[]') FROM (%s) t" % sql)
        return json.loads(text or "[]")

    def scalar(self, sql):
        return self.psql(sql)

    def copy_log(self):
        src = os.path.join(self.logdir, "postgres.log")
        if os.path.exists(src):
            shutil.copy(src, os.path.join(self.out, "postgres.log"))


class Node:
    def __init__(self, name, binary, env, out):
        self.name, self.binary, self.out = name, binary, out
        self.port = free_port()
        self.env = dict(env, ONCALL_NODE_NAME=name, ONCALL_HTTP_HOST="127.0.0.1", ONCALL_HTTP_PORT=str(self.port))
        self.proc = None
        self.starts = 0
        self.logpath = os.path.join(out, "node-%s.log" % name)

    @property
    def up(self):
        return self.proc is not None and self.proc.poll() is None

    def start(self, wait=True):
        self.starts += 1
        logf = open(self.logpath, "a")
        logf.write("\n===== chaos: start #%d of node %s at %s =====\n" % (self.starts, self.name, datetime.datetime.utcnow().isoformat()))
        logf.flush()
        self.proc = subprocess.Popen([self.binary, "serve"], env=self.env, stdout=logf, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, start_new_session=True, cwd=os.path.dirname(self.binary))
        logf.close()
        if wait:
            self.wait_ready()

    def wait_ready(self, timeout=90):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if not self.up:
                raise RuntimeError("node %s exited during start (see %s)" % (self.name, self.logpath))
            try:
                c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                c.request("GET", "/readyz")
                r = c.getresponse()
                r.read()
                c.close()
                if r.status == 200:
                    return True
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError("node %s not ready after %ds" % (self.name, timeout))

    def kill9(self):
        if self.up:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()

    def terminate(self, timeout=30):
        if self.up:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
                return False
        return True


# ----------------------------------------------------------------------------------------------------------
# HTTP helpers

def http_call(port, method, path, body=None, headers=None, timeout=10):
    """(status or None, parsed body or text, error string)."""
    data = None if body is None else json.dumps(body).encode()
    h = {"Content-Type": "application/json"} if data is not None else {}
    h.update(headers or {})
    try:
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        c.request(method, path, body=data, headers=h)
        r = c.getresponse()
        raw = r.read()
        c.close()
        try:
            parsed = json.loads(raw) if raw else None
        except ValueError:
            parsed = raw.decode("utf-8", "replace")[:500]
        return r.status, parsed, None
    except Exception as e:  # refused, reset, timeout: the request may or may not have been applied
        return None, None, "%s: %s" % (type(e).__name__, e)


# ----------------------------------------------------------------------------------------------------------
# The load

class Load:
    def __init__(self, nodes, webhook_path, ops_key, rate, workers, seed, ack_before_resolve):
        self.nodes, self.webhook_path, self.ops_key = nodes, webhook_path, ops_key
        self.rate, self.workers, self.seed = rate, workers, seed
        self.ack_before_resolve = ack_before_resolve
        self.lock = threading.Lock()
        self.requests = []
        self.incidents = {}        # id -> {"acked": bool, "resolved": bool}
        self.stop = threading.Event()
        self.threads = []
        self.keys = ["key-%02d" % i for i in range(40)]

    def tech_headers(self, tech):
        return {"Authorization": "Bearer " + self.ops_key, "X-Tenant-Id": TENANT, "X-Technician-Id": tech}

    def note(self, entry):
        with self.lock:
            self.requests.append(entry)

    def pick_incident(self, rng, want):
        with self.lock:
            ids = list(self.incidents.items())
        if not ids:
            return None
        if want == "ack":
            cands = [i for i, s in ids if not s["resolved"] and not s["acked"]] or [i for i, s in ids]
        elif want == "resolve":
            cands = [i for i, s in ids if not s["resolved"] and (s["acked"] or not self.ack_before_resolve)]
        elif want == "note":
            cands = [i for i, s in ids if not s["resolved"]] or [i for i, s in ids]
        else:
            cands = [i for i, s in ids]
        # favour recent incidents: they are the live ones
        cands = cands[-60:]
        return rng.choice(cands) if cands else None

    def worker(self, n):
        rng = random.Random("%s-load-%d" % (self.seed, n))
        per_worker = self.rate / self.workers
        while not self.stop.is_set():
            time.sleep(rng.expovariate(per_worker))
            node = rng.choice(self.nodes)
            op = rng.choices(["alert", "alert_resolve", "ack", "note", "resolve", "list"],
                             weights=[46, 0 if self.ack_before_resolve else 4, 17, 15, 13, 5])[0]
            entry = {"op": op, "node": node.name, "t0": time.time()}
            if op == "alert":
                key = rng.choice(self.keys) if rng.random() < 0.8 else "uniq-" + uuid.uuid4().hex[:12]
                entry["dedup_key"] = key
                status, body, err = http_call(node.port, "POST", self.webhook_path,
                                              {"title": "chaos alert " + key, "severity": "critical", "dedup_key": key},
                                              {"X-Integration-Key": INTEGRATION_KEY})
                if status == 202 and isinstance(body, dict) and body.get("incident_id"):
                    with self.lock:
                        self.incidents.setdefault(body["incident_id"], {"acked": False, "resolved": False})
            elif op == "alert_resolve":
                # the monitoring tool says the problem is over: resolves the open incident of that key, if any
                key = rng.choice(self.keys)
                entry["dedup_key"] = key
                status, body, err = http_call(node.port, "POST", self.webhook_path,
                                              {"title": "chaos recovery " + key, "action": "resolve", "dedup_key": key},
                                              {"X-Integration-Key": INTEGRATION_KEY})
                if status == 202 and isinstance(body, dict) and body.get("incident_id"):
                    with self.lock:
                        self.incidents.setdefault(body["incident_id"], {"acked": False, "resolved": False})["resolved"] = True
            elif op == "list":
                status, body, err = http_call(node.port, "GET", "/api/incidents?open=true&limit=20", headers=self.tech_headers("alice"))
                body = None if status == 200 else body
            else:
                iid = self.pick_incident(rng, op)
                if iid is None:
                    continue
                entry["incident_id"] = iid
                tech = rng.choice(["alice", "bob"])
                path = "/api/incidents/%s/%s" % (iid, {"ack": "acknowledge", "note": "notes", "resolve": "resolve"}[op])
                payload = None
                if op == "note":
                    entry["text"] = "chaos note " + uuid.uuid4().hex
                    payload = {"text": entry["text"]}
                status, body, err = http_call(node.port, "POST", path, payload, self.tech_headers(tech))
                if status is not None and 200 <= status < 300:
                    with self.lock:
                        s = self.incidents[iid]
                        if op == "ack":
                            s["acked"] = True
                        if op == "resolve":
                            s["resolved"] = True
                elif status == 409:
                    with self.lock:   # "not allowed now": most likely resolved already
                        if op in ("ack", "resolve") and isinstance(body, dict) and "resolved" in json.dumps(body):
                            self.incidents[iid]["resolved"] = True
                if isinstance(body, dict) and op != "alert":
                    body = {k: body.get(k) for k in ("state", "open", "acknowledged_at", "error") if k in body}
            entry.update(t1=time.time(), status=status, body=body, error=err)
            self.note(entry)

    def start(self):
        for n in range(self.workers):
            t = threading.Thread(target=self.worker, args=(n,), daemon=True)
            t.start()
            self.threads.append(t)

    def finish(self):
        self.stop.set()
        for t in self.threads:
            t.join(15)


# ----------------------------------------------------------------------------------------------------------
# The fault schedule: seeded, generated up front, printed as each fault happens.

def make_schedule(rng, cycles, seconds):
    events = []   # (at, kind, args)
    pg_cycles = {c for c in range(cycles) if rng.random() < 0.5}
    if not pg_cycles:
        pg_cycles = {rng.randrange(cycles)}
    for c in range(cycles):
        base = c * seconds
        for _ in range(1 if rng.random() < 0.6 else 2):
            at = base + rng.uniform(0.1, 0.8) * seconds
            events.append((at, "kill", {"node": rng.choice(["a", "b"]), "down": round(rng.uniform(0.5, 5.0), 1)}))
        if c in pg_cycles:
            events.append((base + rng.uniform(0.15, 0.75) * seconds, "pg_restart", {"down": round(rng.uniform(0.0, 3.0), 1)}))
        for _ in range(rng.choice([1, 1, 2])):
            fake = rng.choice(["psa", "hub", "pager"])
            mode = rng.choice(["error", "error", "lost_reply", "hang", "refuse"])
            events.append((base + rng.uniform(0.0, 0.7) * seconds, "outage",
                           {"fake": fake, "mode": mode, "duration": round(rng.uniform(3.0, 0.3 * seconds + 3), 1)}))
    return sorted(events, key=lambda e: e[0])


# ----------------------------------------------------------------------------------------------------------

class Run:
    def __init__(self, args):
        self.args = args
        self.seed = args.seed
        stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
        self.out = os.path.join(ROOT, ".oncall", "chaos", "run-%s-seed%s" % (stamp, self.seed))
        os.makedirs(self.out, exist_ok=True)
        self.tmp = tempfile.mkdtemp(prefix="oncall-chaos.")
        os.chmod(self.tmp, 0o755)
        self.fakes_proc = None
        self.cluster = None
        self.nodes = []
        self.counts = collections.Counter()
        self.timeline = []
        self.violations = []
        self.info = {}
        self.cleaned = False
        self.outages = {}

    def event(self, kind, **detail):
        self.timeline.append(dict(t=round(time.time() - T0, 2), kind=kind, **detail))
        log("FAULT %s %s" % (kind, " ".join("%s=%s" % kv for kv in detail.items())))

    def violation(self, check, message, **evidence):
        self.violations.append(dict(check=check, message=message, **evidence))

    # -- set-up --------------------------------------------------------------------------------------------
    def setup(self):
        binary = os.path.join(self.tmp, "oncall")
        shutil.copy2(self.args.bin, binary)
        log("binary %s copied to %s" % (self.args.bin, binary))
        records = os.path.join(self.out, "fakes")
        os.makedirs(records)
        ports_file = os.path.join(self.tmp, "fake-ports.json")
        self.fakes_log = open(os.path.join(self.out, "fakes.log"), "w")
        self.fakes_proc = subprocess.Popen([sys.executable, os.path.join(ROOT, "ops", "chaos", "fakes.py"), records, ports_file],
                                           stdout=self.fakes_log, stderr=subprocess.STDOUT, start_new_session=True)
        for _ in range(100):
            if os.path.exists(ports_file):
                break
            time.sleep(0.1)
        self.fake_ports = json.load(open(ports_file))
        self.records_dir = records
        log("fakes on %s" % self.fake_ports)

        self.cluster = Cluster(self.tmp, self.out)
        self.cluster.init()
        log("PostgreSQL 15 cluster in %s, socket %s port %d" % (self.cluster.data, self.cluster.run, self.cluster.port))

        self.ops_key = "chaos-ops-" + uuid.uuid4().hex
        env = {k: v for k, v in os.environ.items() if not k.startswith(("ONCALL_", "PSA_", "HUB_", "SMS_", "SMTP_", "BUS_", "DATABASE_"))}
        env.update(
            DATABASE_URL=self.cluster.url, BUS_CONNECTION_STRING=self.cluster.url, ONCALL_CLAIM_LEASE=LEASE,
            OPS_API_KEY=self.ops_key, ONCALL_WORKFLOWS_DIR=os.path.join(ROOT, "workflows"), ONCALL_LOG_FORMAT="text",
            ONCALL_LOG_LEVEL=self.args.log_level,
            PSA_API_URL="http://127.0.0.1:%d" % self.fake_ports["psa"], PSA_SERVICE_KEY="chaos-psa-key",
            HUB_API_URL="http://127.0.0.1:%d" % self.fake_ports["hub"], HUB_SERVICE_KEY="chaos-hub-key",
        )
        self.env = env
        tool_env = dict(env, ONCALL_PUBLIC_URL="http://127.0.0.1:1")
        for cmd in (["migrate"],):
            r = subprocess.run([binary] + cmd, env=tool_env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=self.tmp)
            open(os.path.join(self.out, "migrate.log"), "w").write(r.stdout)
            if r.returncode != 0:
                raise RuntimeError("oncall migrate failed: " + r.stdout)
        tenant_file = os.path.join(self.tmp, "tenant.yaml")
        with open(tenant_file, "w") as f:
            f.write(self.tenant_yaml())
        shutil.copy(tenant_file, os.path.join(self.out, "tenant.yaml"))
        r = subprocess.run([binary, "apply", tenant_file], env=tool_env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=self.tmp)
        open(os.path.join(self.out, "apply.log"), "w").write(r.stdout)
        if r.returncode != 0:
            raise RuntimeError("oncall apply failed: " + r.stdout)
        # Hub Billing reports complete UTC days since the tenant's creation: pretend it was made 3 days ago.
        self.cluster.psql("UPDATE tenants SET created_at = now() - interval '3 days' WHERE id = '%s'" % TENANT)
        webhook_id = self.cluster.scalar("SELECT webhook_id FROM integrations WHERE tenant_id = '%s' AND id = 'chaos-generic'" % TENANT)
        self.webhook_path = "/api/webhooks/" + webhook_id

        self.binary = binary
        for name in ("a", "b"):
            self.nodes.append(Node(name, binary, env, self.out))
        public = "http://127.0.0.1:%d" % self.nodes[0].port
        for node in self.nodes:
            node.env["ONCALL_PUBLIC_URL"] = public
        for node in self.nodes:
            node.start()
        log("nodes up: " + ", ".join("%s on :%d" % (n.name, n.port) for n in self.nodes))

    def tenant_yaml(self):
        pager = "http://127.0.0.1:%d" % self.fake_ports["pager"]
        d1, d2 = LAYER_DELAYS
        return """version: 1
tenants:
  - id: %(t)s
    name: Chaos MSP
    technicians:
      - id: alice
        name: Alice Chaos
        role: owner
        contact_methods:
          - { id: alice-hook, type: webhook, url: "%(p)s/pages/alice" }
      - id: bob
        name: Bob Chaos
        role: member
        contact_methods:
          - { id: bob-hook, type: webhook, url: "%(p)s/pages/bob" }
          - { id: bob-hook2, type: webhook, url: "%(p)s/pages/bob-backup" }
    escalation_policies:
      - id: fast
        name: Fast escalation
        repeat: 1
        layers:
          - { delay: %(d1)ds, targets: [{ technician: alice }] }
          - { delay: %(d2)ds, targets: [{ technician: bob }] }
    services:
      - id: %(s)s
        name: Chaos service
        escalation_policy: fast
        workflow: incident
%(ar)s    integrations:
      - { id: chaos-generic, type: generic, service: %(s)s, key: "%(k)s", rate_per_second: 100000, burst: 1000000 }
""" % {"t": TENANT, "p": pager, "d1": d1, "d2": d2, "s": SERVICE, "k": INTEGRATION_KEY,
       "ar": ("        auto_resolve: %ds\n" % self.args.auto_resolve) if self.args.auto_resolve else ""}

    # -- faults --------------------------------------------------------------------------------------------
    def fake_mode(self, fake, mode):
        http_call(self.fake_ports["control"], "POST", "/mode", {"fake": fake, "mode": mode})

    def node(self, name):
        return next(n for n in self.nodes if n.name == name)

    def run_chaos(self):
        rng = random.Random(self.seed)
        schedule = make_schedule(rng, self.args.cycles, self.args.seconds_per_cycle)
        json.dump(schedule, open(os.path.join(self.out, "schedule.json"), "w"), indent=1)
        log("fault schedule (seed %s): %d events over %d cycles of %ds" % (self.seed, len(schedule), self.args.cycles, self.args.seconds_per_cycle))
        self.load = Load(self.nodes, self.webhook_path, self.ops_key, self.args.rate, self.args.workers, self.seed, self.args.ack_before_resolve)
        self.load.start()
        self.monitor_stop = threading.Event()
        self.monitor_thread = threading.Thread(target=self.monitor, daemon=True)
        self.monitor_thread.start()
        start = time.time()
        pending = []   # (at, kind, args): restarts and outage ends
        queue = [(at, kind, a) for at, kind, a in schedule]
        total = self.args.cycles * self.args.seconds_per_cycle
        last_cycle = -1
        while queue or pending:
            now = time.time() - start
            cycle = min(int(now // self.args.seconds_per_cycle), self.args.cycles - 1)
            if cycle != last_cycle and now < total:
                last_cycle = cycle
                log("---- cycle %d/%d ----" % (cycle + 1, self.args.cycles))
            due = [e for e in pending if e[0] <= now]
            for e in due:
                pending.remove(e)
                self.apply_end(e)
            if queue and queue[0][0] <= now:
                at, kind, a = queue.pop(0)
                self.apply_fault(kind, a, now, pending)
                continue
            if not queue and not pending:
                break
            nxt = min([q[0] for q in queue[:1]] + [p[0] for p in pending])
            time.sleep(max(0.01, min(0.2, nxt - now)))
        remaining = total - (time.time() - start)
        if remaining > 0:
            time.sleep(remaining)
        self.load.finish()
        self.event("faults_end")

    def apply_fault(self, kind, a, now, pending):
        if kind == "kill":
            node = self.node(a["node"])
            if not node.up:
                self.event("kill_skipped", node=node.name, reason="already down")
                return
            node.kill9()
            self.counts["kills"] += 1
            self.event("kill -9", node=node.name, down_for=a["down"])
            pending.append((now + a["down"], "restart", {"node": node.name}))
        elif kind == "pg_restart":
            self.event("pg_stop", mode="fast", down_for=a["down"])
            self.cluster.stop("fast")
            time.sleep(a["down"])
            self.cluster.start()
            self.counts["pg_restarts"] += 1
            self.event("pg_started")
        elif kind == "outage":
            self.outages.setdefault(a["fake"], []).append(a["mode"])
            self.fake_mode(a["fake"], a["mode"])
            self.counts["fake_outages"] += 1
            self.counts["fake_outage_seconds"] += a["duration"]
            self.event("fake_outage", fake=a["fake"], mode=a["mode"], duration=a["duration"])
            pending.append((now + a["duration"], "outage_end", {"fake": a["fake"], "mode": a["mode"]}))

    def apply_end(self, e):
        _, kind, a = e
        if kind == "restart":
            node = self.node(a["node"])
            node.start(wait=False)
            self.event("restart", node=node.name)
            threading.Thread(target=self.await_ready, args=(node,), daemon=True).start()
        elif kind == "outage_end":
            # overlapping outages of one fake: the one still running decides its mode
            active = self.outages.get(a["fake"], [])
            if a["mode"] in active:
                active.remove(a["mode"])
            mode = active[-1] if active else "ok"
            self.fake_mode(a["fake"], mode)
            self.event("fake_recovered" if mode == "ok" else "fake_outage_continues", fake=a["fake"], mode=mode)

    def await_ready(self, node):
        """Like a supervisor (systemd Restart=always): a node that exits while starting is started again."""
        for attempt in range(10):
            try:
                node.wait_ready(120)
                return
            except Exception as e:
                if node.up:
                    self.violation("node_restart", "node %s did not become ready within 120 s of a restart: %s" % (node.name, e))
                    return
                self.counts["node_exits_during_start"] += 1
                self.event("node_exited_during_start", node=node.name, exit_status=node.proc.returncode)
                time.sleep(1)
                node.start(wait=False)
        self.violation("node_restart", "node %s kept exiting during start" % node.name)

    # -- a monitor during the run: a timer armed in a snapshot must always have its row --------------------
    LOST_TIMERS_SQL = (
        "SELECT i.id AS incident_id, i.number, i.state, i.version, k.key AS timer, (k.value->>'generation')::bigint AS snapshot_generation, "
        "(k.value->'dueAt'->>'microseconds')::bigint AS due_us, t.generation AS row_generation, t.claimed_by, now() AS seen_at, "
        "i.updated_at, i.acknowledged_at, i.snapshot, (SELECT json_agg(r) FROM incident_timers r WHERE r.incident_id = i.id) AS timer_rows "
        "FROM incidents i CROSS JOIN LATERAL jsonb_each(i.snapshot->'timers') k "
        "LEFT JOIN incident_timers t ON t.tenant_id = i.tenant_id AND t.incident_id = i.id AND t.name = k.key "
        "WHERE i.is_open AND (t.generation IS NULL OR t.generation <> (k.value->>'generation')::bigint)")

    def monitor(self):
        """Every half second: open incidents whose snapshot arms a timer that has no row of that generation. Commits
        write both in one transaction, so one sighting is already a lost timer (it would never fire)."""
        self.lost_seen = {}
        while not self.monitor_stop.is_set():
            try:
                for r in self.cluster.rows(self.LOST_TIMERS_SQL):
                    key = (r["incident_id"], r["timer"], r["snapshot_generation"])
                    if key not in self.lost_seen:
                        self.lost_seen[key] = r
                        log("MONITOR timer lost? incident #%s %s gen %s: no row (row generation %s)" % (r["number"], r["timer"], r["snapshot_generation"], r["row_generation"]))
            except Exception:
                pass   # PostgreSQL restarting
            self.monitor_stop.wait(0.5)

    # -- after the faults ----------------------------------------------------------------------------------
    def ops_headers(self, tech=None):
        h = {"Authorization": "Bearer " + self.ops_key, "X-Tenant-Id": TENANT}
        if tech:
            h["X-Technician-Id"] = tech
        return h

    def settle(self):
        for mode_fake in ("psa", "hub", "pager"):
            self.fake_mode(mode_fake, "ok")
        for node in self.nodes:
            if not node.up:
                node.start(wait=False)
        for node in self.nodes:
            self.await_ready(node)
        t_end = time.time()
        # 1. Timers catch up: within 60 s of the faults' end no timer row may be more than 10 s overdue.
        overdue = None
        while time.time() - t_end < 60:
            overdue = self.cluster.rows(
                "SELECT incident_id, name, generation, due_at, claimed_by, claimed_until, round(extract(epoch FROM now() - due_at)::numeric, 1) AS overdue_s "
                "FROM incident_timers WHERE due_at < now() - interval '10 seconds' ORDER BY due_at")
            if not overdue and time.time() - t_end > 2 * 2 + 3:   # at least two leases after the faults
                break
            time.sleep(1)
        self.info["timers_caught_up_after_s"] = round(time.time() - t_end, 1)
        if overdue:
            self.violation("timers_fire", "%d armed timer(s) still more than 10 s overdue 60 s after the faults ended" % len(overdue), rows=overdue[:20])
        time.sleep(1)
        self.monitor_stop.set()
        self.monitor_thread.join(10)
        if self.lost_seen:
            lost = list(self.lost_seen.values())
            for r in lost[:10]:
                lines = []
                for node in self.nodes:
                    for line in open(node.logpath, errors="replace"):
                        if r["incident_id"] in line.lower():
                            lines.append("node %s: %s" % (node.name, line.strip()[:300]))
                r["log_lines"] = lines[-12:]
                r["journal"] = self.cluster.rows(
                    "SELECT sequence, kind, actor, detail, at FROM incident_journal WHERE incident_id = '%s' AND sequence IS NOT NULL ORDER BY id" % r["incident_id"])
            self.violation("timers_fire", "%d timer(s) armed in an open incident's snapshot had no timer row of that generation "
                           "(seen by the monitor; such a timer never fires)" % len(lost), rows=lost[:20])
        self.stuck_before_finish = self.stuck_list()
        self.info["stuck_at_settle"] = collections.Counter(s["reason"] for s in self.stuck_before_finish)

        # 1b. Every node answers an alert for every dedup key of the load within 10 s (a wedged incident actor
        #     would hang every request routed to it; a 5xx now, with the faults over, is a failure too).
        probes, lock = [], threading.Lock()
        def probe(node, key):
            st, body, err = http_call(node.port, "POST", self.webhook_path, {"title": "chaos probe " + key, "severity": "critical", "dedup_key": key},
                                      {"X-Integration-Key": INTEGRATION_KEY}, timeout=10)
            with lock:
                probes.append({"node": node.name, "dedup_key": key, "status": st, "body": body, "error": err})
        threads = [threading.Thread(target=probe, args=(n, k)) for n in self.nodes for k in self.load.keys]
        for t in threads:
            t.start()
        for t in threads:
            t.join(15)
        bad = [p for p in probes if p["status"] != 202]
        self.counts["probe_alerts_after_faults"] = len(probes)
        if bad:
            self.violation("answers_after_faults", "%d of %d alerts sent after the faults ended were not answered 202 within 10 s" % (len(bad), len(probes)),
                           probes=bad[:20])

        # 2. Finish: acknowledge, then resolve, every incident still open (through both nodes).
        open_ids = [r["id"] for r in self.cluster.rows("SELECT id, acknowledged_at FROM incidents WHERE is_open AND acknowledged_at IS NULL")]
        all_open = [r["id"] for r in self.cluster.rows("SELECT id FROM incidents WHERE is_open")]
        log("finishing: acknowledging %d and resolving %d open incident(s)" % (len(open_ids), len(all_open)))
        bad = []
        for i, iid in enumerate(open_ids):
            st, body, err = http_call(self.nodes[i % 2].port, "POST", "/api/incidents/%s/acknowledge" % iid, headers=self.ops_headers("alice"))
            if st != 200:
                bad.append({"incident_id": iid, "op": "acknowledge", "status": st, "body": body, "error": err})
        for i, iid in enumerate(all_open):
            st, body, err = http_call(self.nodes[(i + 1) % 2].port, "POST", "/api/incidents/%s/resolve" % iid, headers=self.ops_headers("bob"))
            if st != 200:
                bad.append({"incident_id": iid, "op": "resolve", "status": st, "body": body, "error": err})
        if bad:
            self.violation("finish", "%d acknowledge/resolve call(s) failed after the faults ended" % len(bad), calls=bad[:20])
        still = self.cluster.rows("SELECT id, number, state FROM incidents WHERE is_open")
        if still:
            self.violation("finish", "%d incident(s) still open after resolving everything" % len(still), rows=still[:20])

        # 3. A graceful restart of node a (SIGTERM): drains, and runs the billing reporter once more with a healthy Hub.
        graceful = self.nodes[0].terminate(30)
        self.event("graceful_restart", node="a", clean_exit=graceful, exit_status=self.nodes[0].proc.returncode)
        if not graceful:
            self.violation("graceful_shutdown", "node a did not stop within 30 s of SIGTERM")
        self.nodes[0].start()

        # 4. Drain: the outbox and billing reports empty out (retries back off, so allow a few minutes).
        t0 = time.time()
        last_ids, still_since = None, time.time()
        while time.time() - t0 < self.args.drain_timeout:
            left = self.cluster.rows("SELECT status, kind, count(*) AS n FROM outbox GROUP BY 1, 2")
            bill = self.cluster.rows("SELECT status, count(*) AS n FROM billing_reports WHERE status <> 'sent' GROUP BY 1")
            if not left and not bill:
                break
            ids = self.cluster.psql("SELECT string_agg(id::text, ',' ORDER BY id) FROM outbox")
            if ids != last_ids:
                last_ids, still_since = ids, time.time()
            elif time.time() - still_since > self.args.no_progress:
                log("no progress: the same %s outbox row(s) for %ds, giving up draining" % (len(ids.split(",")), self.args.no_progress))
                break
            if int(time.time() - t0) % 15 == 0:
                log("draining: outbox %s, billing %s" % (left, bill))
            time.sleep(1)
        self.info["drain_seconds"] = round(time.time() - t0, 1)
        log("drained in %.1fs" % (time.time() - t0))
        time.sleep(2)   # stragglers: a delivery recorded just now, a billing report being marked

    def stuck_list(self):
        st, body, err = http_call(self.nodes[1].port, "GET", "/api/ops/workflows?limit=200", headers=self.ops_headers())
        if st != 200:
            self.violation("nothing_stuck", "GET /api/ops/workflows answered %s %s" % (st, err or body))
            return []
        return body.get("stuck", [])

    # -- checks --------------------------------------------------------------------------------------------
    def load_records(self, fake):
        path = os.path.join(self.records_dir, fake + ".jsonl")
        if not os.path.exists(path):
            return []
        return [json.loads(line) for line in open(path)]

    def check(self):
        c = self.cluster
        reqs = self.load.requests
        json.dump(reqs, open(os.path.join(self.out, "requests.json"), "w"))
        psa, hub, pager = self.load_records("psa"), self.load_records("hub"), self.load_records("pager")

        # Dumps of the relevant tables (kept with the run).
        dumps = {
            "incidents": "SELECT id, number, dedup_key, state, is_open, psa_ticket_id, created_at, acknowledged_at, acknowledged_by, resolved_at, resolved_by, version, snapshot FROM incidents ORDER BY number",
            "journal": "SELECT id, incident_id, sequence, kind, actor, detail, at FROM incident_journal ORDER BY id",
            "outbox": "SELECT * FROM outbox ORDER BY id",
            "outbox_delivered": "SELECT id, incident_id, channel, kind, idempotency_key, attempts, created_at, delivered_at FROM outbox_delivered ORDER BY id",
            "timers": "SELECT * FROM incident_timers",
            "bus_messages": "SELECT seq, id, type, source, subject, published_at FROM bus_messages ORDER BY seq",
            "alerts": "SELECT id, integration_id, action, dedup_key, incident_id, received_at FROM alerts ORDER BY id",
            "billing_reports": "SELECT * FROM billing_reports ORDER BY day",
            "incident_failures": "SELECT * FROM incident_failures",
        }
        db = {}
        os.makedirs(os.path.join(self.out, "db"), exist_ok=True)
        for name, sql in dumps.items():
            db[name] = c.rows(sql)
            json.dump(db[name], open(os.path.join(self.out, "db", name + ".json"), "w"), indent=0)
        incidents = {r["id"]: r for r in db["incidents"]}
        delivered = db["outbox_delivered"]
        journal = db["journal"]
        jby = collections.defaultdict(list)
        for j in journal:
            jby[j["incident_id"]].append(j)

        # 1. Every alert answered 202 exists, and is counted in its incident.
        alerts = [r for r in reqs if r["op"] == "alert"]
        a202 = [r for r in alerts if r["status"] == 202]
        self.counts["alerts_sent"] = len(alerts)
        self.counts["alerts_202"] = len(a202)
        others = collections.Counter(str(r["status"]) if r["status"] is not None else "no answer" for r in alerts if r["status"] != 202)
        self.counts["alerts_not_202"] = sum(others.values())
        self.info["alerts_not_202_by_status"] = dict(others)
        per_incident = collections.Counter()
        missing = []
        for r in a202:
            b = r["body"] if isinstance(r["body"], dict) else {}
            iid = b.get("incident_id")
            inc = incidents.get(iid)
            if inc is None or inc["dedup_key"] != r["dedup_key"] or b.get("action") != "trigger":
                missing.append({"sent_at": r["t0"], "node": r["node"], "dedup_key": r["dedup_key"], "answer": b,
                                "found": None if inc is None else {"dedup_key": inc["dedup_key"], "state": inc["state"]}})
            else:
                per_incident[iid] += 1
        if missing:
            self.violation("alerts_202_exist", "%d alert(s) answered 202 have no incident with their dedup key" % len(missing), alerts=missing[:20])
        undercounted = [{"incident_id": i, "answers_202": n, "alert_count": incidents[i]["snapshot"]["alertCount"]}
                        for i, n in per_incident.items() if incidents[i]["snapshot"]["alertCount"] < n]
        if undercounted:
            self.violation("alerts_202_exist", "%d incident(s) count fewer alerts than were answered 202 for them (an acknowledged alert was lost)" % len(undercounted), incidents=undercounted[:20])
        # The alerts log (raw payloads) is documented as best-effort: a crash loses its last 50 ms. Reported, not a violation.
        logged = collections.Counter(a["incident_id"] for a in db["alerts"] if a["action"] == "trigger")
        self.info["alerts_202_missing_from_alerts_log"] = sum(max(0, n - logged.get(i, 0)) for i, n in per_incident.items())

        # 1b. No request hangs: with a node alive, every request is answered (202/200, or an error) within 10 s.
        #     A node killed or a database restart during the request makes a refused/reset connection or a 5xx, not silence.
        kills = [(f["t"] + T0, f.get("node")) for f in self.timeline if f["kind"] == "kill -9"]
        hung = []
        for r in reqs:
            if r["status"] is None and r.get("error", "") and "timed out" in (r.get("error") or ""):
                if not any(r["t0"] - 0.5 <= t <= r["t1"] and n == r["node"] for t, n in kills):
                    hung.append({k: r.get(k) for k in ("op", "node", "t0", "t1", "dedup_key", "incident_id", "error")})
        self.counts["requests_hung"] = len(hung)
        if hung:
            for h in hung:
                h["sent_at"] = datetime.datetime.utcfromtimestamp(h["t0"]).isoformat() + "Z"
            self.violation("requests_answered", "%d request(s) to a live node got no answer within 10 s" % len(hung), requests=hung[:20])

        # 2. No dedup key has two open incidents (now), nor two incidents whose lives overlapped.
        open_by_key = collections.Counter(r["dedup_key"] for r in db["incidents"] if r["is_open"])
        dup_open = {k: n for k, n in open_by_key.items() if n > 1}
        if dup_open:
            self.violation("dedup_one_open", "dedup keys with several open incidents", keys=dup_open)
        by_key = collections.defaultdict(list)
        for r in db["incidents"]:
            by_key[r["dedup_key"]].append(r)
        overlaps = []
        for key, rs in by_key.items():
            rs.sort(key=lambda r: r["created_at"])
            for prev, nxt in zip(rs, rs[1:]):
                if prev["resolved_at"] is None or ts(nxt["created_at"]) < ts(prev["resolved_at"]) - 2.0:
                    overlaps.append({"dedup_key": key, "first": prev["id"], "first_resolved_at": prev["resolved_at"],
                                     "second": nxt["id"], "second_created_at": nxt["created_at"]})
        if overlaps:
            self.violation("dedup_one_open", "%d pair(s) of incidents with one dedup key were open at the same time" % len(overlaps), pairs=overlaps[:20])
        self.counts["incidents"] = len(incidents)
        self.counts["dedup_keys"] = len(by_key)
        self.counts["alerts_folded"] = sum(1 for r in a202 if isinstance(r["body"], dict) and r["body"].get("deduplicated"))

        # 3. What a technician was told (2xx) happened, happened.
        #    (by time: the finishing phase acknowledges and resolves everything later, so "is it resolved now" proves nothing)
        lost_actions = []
        notes_ok = {}
        for r in reqs:
            if r["op"] == "alert_resolve" and r["status"] == 202 and isinstance(r["body"], dict) and r["body"].get("incident_id"):
                inc = incidents.get(r["body"]["incident_id"])
                if inc is None or inc["resolved_at"] is None or ts(inc["resolved_at"]) > r["t1"] + 1.0:
                    lost_actions.append(dict(r, found=inc and {"resolved_at": inc["resolved_at"]}))
                continue
            if r["op"] not in ("ack", "note", "resolve") or r["status"] is None or not 200 <= r["status"] < 300:
                continue
            inc = incidents.get(r["incident_id"])
            if r["op"] == "ack" and (inc is None or inc["acknowledged_at"] is None or ts(inc["acknowledged_at"]) > r["t1"] + 1.0):
                lost_actions.append(dict(r, found=inc and {"acknowledged_at": inc["acknowledged_at"]}))
            if r["op"] == "resolve" and (inc is None or inc["resolved_at"] is None or ts(inc["resolved_at"]) > r["t1"] + 1.0):
                lost_actions.append(dict(r, found=inc and {"resolved_at": inc["resolved_at"]}))
            if r["op"] == "note":
                notes_ok[r["text"]] = r
        journal_notes = {j["detail"].get("text"): j for j in journal if j["kind"] == "note.added"}
        lost_actions += [r for t, r in notes_ok.items() if t not in journal_notes]
        if lost_actions:
            self.violation("actions_durable", "%d acknowledge/note/resolve answered 2xx left no trace" % len(lost_actions), requests=lost_actions[:20])
        self.counts["acks_2xx"] = sum(1 for r in reqs if r["op"] == "ack" and r["status"] == 200)
        self.counts["notes_2xx"] = len(notes_ok)
        self.counts["resolves_2xx"] = sum(1 for r in reqs if r["op"] == "resolve" and r["status"] == 200)
        self.counts["alert_resolves_202"] = sum(1 for r in reqs if r["op"] == "alert_resolve" and r["status"] == 202)
        self.counts["actions_not_2xx"] = sum(1 for r in reqs if r["op"] in ("ack", "note", "resolve") and not (r["status"] and 200 <= r["status"] < 300))

        # 4. Each acknowledged incident has exactly one PSA ticket (and the incident names it); notes and the
        #    resolution reached it, each once.
        applied = [p for p in psa if p.get("applied")]
        tickets_by_ref = collections.defaultdict(list)
        for p in applied:
            if p.get("op") == "create":
                tickets_by_ref[(p["body"] or {}).get("external_ref")].append(p["ticket"])
        acked = [r for r in db["incidents"] if r["acknowledged_at"] is not None]
        self.counts["acknowledged"] = len(acked)
        self.counts["psa_tickets"] = sum(len(v) for v in tickets_by_ref.values())
        bad_tickets = []
        for r in db["incidents"]:
            ref = "oncall:%s:%s" % (TENANT, r["id"])
            made = tickets_by_ref.get(ref, [])
            want = 1 if r["acknowledged_at"] is not None else 0
            if len(made) != want or (want and r["psa_ticket_id"] != made[0]):
                bad_tickets.append({"incident_id": r["id"], "number": r["number"], "acknowledged_at": r["acknowledged_at"],
                                    "tickets_at_psa": made, "psa_ticket_id": r["psa_ticket_id"]})
        strays = [ref for ref in tickets_by_ref if not ref or ref.split(":")[-1] not in incidents]
        if bad_tickets:
            self.violation("psa_one_ticket", "%d incident(s) without exactly one PSA ticket matching psa_ticket_id" % len(bad_tickets), incidents=bad_tickets[:20])
        if strays:
            self.violation("psa_one_ticket", "tickets for unknown incidents", refs=strays[:20])
        unknown = [p for p in psa if p.get("unknown_ticket")]
        if unknown:
            self.violation("psa_calls", "%d PSA call(s) to a ticket that does not exist" % len(unknown), calls=unknown[:20])
        applied_keys = collections.Counter(p["key"] for p in applied)
        dup_applied = {k: n for k, n in applied_keys.items() if n > 1}
        if dup_applied:
            self.violation("psa_calls", "Idempotency-Keys applied more than once by the PSA fake (a fake bug)", keys=dup_applied)
        psa_rows = [d for d in delivered if d["kind"].startswith("psa.")]
        not_at_psa = [d for d in psa_rows if d["idempotency_key"] not in applied_keys]
        if not_at_psa:
            self.violation("psa_calls", "%d PSA call(s) recorded as delivered that the PSA never applied" % len(not_at_psa), rows=not_at_psa[:20])
        notes_delivered = collections.Counter(d["incident_id"] for d in psa_rows if d["kind"] == "psa.add_note")
        self.counts["psa_notes"] = sum(1 for p in applied if p.get("op") == "note")
        self.counts["psa_resolutions"] = sum(1 for p in applied if p.get("op") == "resolve")
        self.counts["psa_requests"] = len(psa)
        self.counts["psa_replays_answered_from_idempotency_key"] = sum(1 for p in psa if p.get("replayed"))
        resolved_acked = [r for r in acked if not r["is_open"]]
        no_resolution = [r["id"] for r in resolved_acked
                         if not any(d["incident_id"] == r["id"] and d["kind"] == "psa.resolve_ticket" for d in psa_rows)]
        if no_resolution:
            self.violation("psa_calls", "%d resolved, acknowledged incident(s) whose ticket was never resolved" % len(no_resolution), incidents=no_resolution[:20])
        # Order at the PSA: per incident, the calls it applied come in outbox order (ticket first, then notes, then resolution).
        psa_by_incident = collections.defaultdict(list)
        for p in sorted(applied, key=lambda p: p["t"]):
            if p.get("key") and p["key"].count(":") == 2:
                psa_by_incident[p["key"].split(":")[0]].append(p["key"])
        psa_disordered = [{"incident_id": i, "keys_in_psa_order": ks} for i, ks in psa_by_incident.items()
                          if [tuple(map(int, k.split(":")[1:])) for k in ks] != sorted(tuple(map(int, k.split(":")[1:])) for k in ks)]
        if psa_disordered:
            self.violation("psa_order", "%d incident(s) whose PSA calls were applied out of order" % len(psa_disordered), incidents=psa_disordered[:10])
        # Notes: the workflow plans a psa.add_note row for each note added while acknowledged or after; each
        # delivered row must be exactly one note on the incident's ticket.
        note_mismatch = []
        psa_notes_by_ticket = collections.Counter(p["ticket"] for p in applied if p.get("op") == "note")
        for r in acked:
            if r["psa_ticket_id"] and psa_notes_by_ticket.get(r["psa_ticket_id"], 0) != notes_delivered.get(r["id"], 0):
                note_mismatch.append({"incident_id": r["id"], "ticket": r["psa_ticket_id"], "notes_at_psa": psa_notes_by_ticket.get(r["psa_ticket_id"], 0),
                                      "add_note_rows_delivered": notes_delivered.get(r["id"], 0)})
        if note_mismatch:
            self.violation("psa_calls", "%d ticket(s) whose notes differ from the notes delivered" % len(note_mismatch), tickets=note_mismatch[:20])

        # 5. Each lifecycle event was published, once (unique ids), and the events match what happened.
        bus = [m for m in db["bus_messages"] if m["source"] == "theoneoncall-api"]
        bus_ids = collections.Counter(m["id"] for m in bus)
        publish_keys = {d["idempotency_key"] for d in delivered if d["kind"] == "publish"}
        self.counts["lifecycle_events_published"] = len(bus)
        dup_ids = {k: n for k, n in bus_ids.items() if n > 1}
        if dup_ids:
            self.violation("events_published", "bus message ids published twice", ids=dup_ids)
        unpublished = sorted(publish_keys - set(bus_ids))
        if unpublished:
            self.violation("events_published", "%d publish row(s) recorded as delivered but not on the bus" % len(unpublished), ids=unpublished[:20])
        orphans = sorted(set(bus_ids) - publish_keys)
        if orphans:
            self.violation("events_published", "%d event(s) on the bus without a delivered outbox row (still pending, or not from the outbox)" % len(orphans), ids=orphans[:20])
        types = collections.defaultdict(collections.Counter)
        for m in bus:
            types[m["subject"]][m["type"].rsplit(".", 1)[-1]] += 1
        self.counts.update({"events_" + t: n for t, n in collections.Counter(m["type"].rsplit(".", 1)[-1] for m in bus).items()})
        event_mismatch = []
        fired_total = 0
        for iid, inc in incidents.items():
            entries = jby.get(iid, [])
            fired = [e for e in entries if e["kind"] == "timer.fired" and e["detail"].get("timer") == "layer_timeout"]
            fired_total += len([e for e in entries if e["kind"] == "timer.fired"])
            exhausted = sum(1 for e in entries if e["kind"] == "escalation.exhausted")
            notes = sum(1 for e in entries if e["kind"] == "note.added")
            want = {"created": 1, "acknowledged": 1 if inc["acknowledged_at"] else 0, "resolved": 0 if inc["is_open"] else 1,
                    "note_added": notes, "escalated": len(fired) - exhausted}
            got = {k: types[iid].get(k, 0) for k in want}
            extra = {k: n for k, n in types[iid].items() if k not in want}
            if got != want or extra:
                event_mismatch.append({"incident_id": iid, "number": inc["number"], "expected": want, "published": dict(types[iid])})
        # order: one incident's events reach the bus in the order of its transitions (docs/bus.md)
        def seqpos(key):
            parts = key.split(":")
            return (int(parts[1]), int(parts[2]))
        by_subject = collections.defaultdict(list)
        for m in sorted(bus, key=lambda m: m["seq"]):
            by_subject[m["subject"]].append(m["id"])
        disordered = [{"incident_id": sub, "ids_in_bus_order": ids} for sub, ids in by_subject.items()
                      if [seqpos(i) for i in ids] != sorted(seqpos(i) for i in ids)]
        if disordered:
            self.violation("events_order", "%d incident(s) whose events were published out of order" % len(disordered), incidents=disordered[:10])
        if event_mismatch:
            self.violation("events_published", "%d incident(s) whose published events do not match their timeline" % len(event_mismatch), incidents=event_mismatch[:20])

        # 6. Every timer fired once: no arming (incident, timer, due time = generation) fired twice; none left overdue.
        self.counts["timers_fired"] = fired_total
        firings = collections.Counter((e["incident_id"], e["detail"].get("timer"), e["detail"].get("due_us")) for e in journal if e["kind"] == "timer.fired")
        twice = [{"incident_id": k[0], "timer": k[1], "due_us": k[2], "times": n} for k, n in firings.items() if n > 1]
        if twice:
            self.violation("timers_once", "%d timer arming(s) fired more than once" % len(twice), firings=twice[:20])
        # the same event committed twice would repeat its (incident, sequence, kind, detail) rows
        seen = collections.Counter((e["incident_id"], e["sequence"], e["kind"], json.dumps(e["detail"], sort_keys=True)) for e in journal if e["sequence"] is not None)
        dup_events = [{"incident_id": k[0], "sequence": k[1], "kind": k[2], "detail": k[3], "times": n} for k, n in seen.items() if n > 1]
        if dup_events:
            self.violation("timers_once", "%d timeline entries written twice for one event sequence" % len(dup_events), entries=dup_events[:20])
        overdue_end = c.rows("SELECT incident_id, name, generation, due_at, claimed_by FROM incident_timers WHERE due_at < now() - interval '10 seconds'")
        if overdue_end:
            self.violation("timers_fire", "%d timer row(s) overdue at the end" % len(overdue_end), rows=overdue_end[:20])

        # 7. Pages: every page recorded as delivered reached the receiver (deduplicated by Idempotency-Key).
        pager_applied = {p["key"] for p in pager if p.get("applied")}
        page_rows = [d for d in delivered if d["kind"].startswith("page.")]
        lost_pages = [d for d in page_rows if d["idempotency_key"] not in pager_applied]
        if lost_pages:
            self.violation("pages_delivered", "%d page(s) recorded as delivered that the receiver never got" % len(lost_pages), rows=lost_pages[:20])
        self.counts["pages_distinct_keys"] = len(pager_applied)
        self.counts["pages_delivered_rows"] = len(page_rows)
        self.counts["pages_redelivered_same_key"] = sum(1 for p in pager if p.get("replayed"))
        self.counts["page_requests"] = len(pager)

        # 8. Hub Billing: every report sent, each day once.
        reports = db["billing_reports"]
        hub_applied = collections.Counter(p["key"] for p in hub if p.get("applied"))
        self.counts["billing_reports"] = len(reports)
        self.counts["hub_requests"] = len(hub)
        unsent = [r for r in reports if r["status"] != "sent"]
        if unsent:
            self.violation("billing", "%d billing report(s) not sent at the end" % len(unsent), reports=unsent)
        for r in reports:
            key = "oncall:billing:%s:%s" % (r["tenant_id"], r["day"])
            if r["status"] == "sent" and key not in hub_applied:
                self.violation("billing", "report %s marked sent but never accepted by the Hub" % key)
        if len(hub_applied) != len([r for r in reports if r["status"] == "sent"]):
            self.violation("billing", "the Hub accepted %d distinct reports, the database sent %d" % (len(hub_applied), len(reports)))

        # 9. Nothing stuck once the faults ended and everything settled.
        left = db["outbox"]
        no_ticket_ever = [r for r in left if r["kind"] in ("psa.resolve_ticket", "psa.add_note")
                          and incidents.get(r["incident_id"], {}).get("acknowledged_at") is None]
        if no_ticket_ever:
            iid = no_ticket_ever[0]["incident_id"]
            self.violation("psa_calls", "%d PSA call(s) (%s) of incidents that were never acknowledged wait for a ticket that will never "
                           "exist: retried until they become dead letters, and listed as stuck meanwhile" % (
                               len(no_ticket_ever), dict(collections.Counter(r["kind"] for r in no_ticket_ever))),
                           example_incident=incidents.get(iid), example_row={k: no_ticket_ever[0][k] for k in ("id", "kind", "attempts", "last_error", "created_at")},
                           example_timeline=[{k: j[k] for k in ("sequence", "kind", "actor", "detail", "at")} for j in jby.get(iid, [])][-8:])
        if left:
            self.violation("nothing_stuck", "%d outbox row(s) left (pending or dead) after draining (%d of them: PSA calls of never-acknowledged incidents)"
                           % (len(left), len(no_ticket_ever)),
                           rows=[{k: r[k] for k in ("id", "incident_id", "kind", "status", "attempts", "last_error", "next_attempt_at")} for r in left[:20]])
        stuck = self.stuck_list()
        if stuck:
            self.violation("nothing_stuck", "GET /api/ops/workflows lists %d stuck workflow(s)" % len(stuck), stuck=stuck[:20])
        r = subprocess.run([self.binary, "ops", "stuck", "--url", "http://127.0.0.1:%d" % self.nodes[1].port, "--tenant", TENANT],
                           env=dict(self.env, OPS_API_KEY=self.ops_key), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=60)
        self.info["ops_stuck_exit"] = r.returncode
        if r.returncode != 0:
            self.violation("nothing_stuck", "oncall ops stuck exited %d" % r.returncode, output=r.stdout[-3000:])
        if self.stuck_before_finish:
            self.info["stuck_at_settle_examples"] = self.stuck_before_finish[:5]
        # Leftover failures noted by ops
        self.info["incident_failures_rows"] = len(db["incident_failures"])

        # Logs: count warnings and errors per node (context, not a verdict).
        for node in self.nodes:
            text = open(node.logpath, errors="replace").read()
            levels = collections.Counter(m.group(1) for m in re.finditer(r"(?m)^\S+ (warning|error|critical) ", text))
            self.info["log_lines_%s" % node.name] = dict(levels)

    # -- report --------------------------------------------------------------------------------------------
    def report(self, elapsed):
        order = ["alerts_sent", "alerts_202", "alerts_not_202", "alerts_folded", "incidents", "dedup_keys", "acknowledged", "acks_2xx",
                 "notes_2xx", "resolves_2xx", "actions_not_2xx", "psa_tickets", "psa_notes", "psa_resolutions", "psa_requests",
                 "psa_replays_answered_from_idempotency_key", "lifecycle_events_published", "events_created", "events_acknowledged",
                 "events_escalated", "events_note_added", "events_resolved", "timers_fired", "pages_distinct_keys", "pages_delivered_rows",
                 "page_requests", "pages_redelivered_same_key", "billing_reports", "hub_requests", "kills", "pg_restarts",
                 "fake_outages", "fake_outage_seconds"]
        print()
        print("== chaos run: seed %s, %d cycle(s) of %ds, %.0fs in all ==" % (self.seed, self.args.cycles, self.args.seconds_per_cycle, elapsed))
        for k in order + sorted(set(self.counts) - set(order)):
            if k in self.counts:
                v = self.counts[k]
                print("  %-44s %s" % (k, round(v, 1) if isinstance(v, float) else v))
        for k, v in self.info.items():
            if k != "stuck_at_settle_examples":
                print("  %-44s %s" % (k, json.dumps(v, default=str)))
        print()
        failed = collections.Counter(v["check"] for v in self.violations)
        checks = ["alerts_202_exist", "requests_answered", "answers_after_faults", "dedup_one_open", "actions_durable", "psa_one_ticket", "psa_calls", "psa_order", "events_published",
                  "events_order", "timers_once", "timers_fire", "pages_delivered", "billing", "nothing_stuck", "finish",
                  "graceful_shutdown", "node_restart"]
        self.check_status = {c: ("FAIL (%d)" % failed[c]) if failed[c] else "pass" for c in checks + sorted(set(failed) - set(checks))}
        print("checks: " + "  ".join("%s=%s" % kv for kv in self.check_status.items()))
        print()
        if self.violations:
            print("VIOLATIONS (%d):" % len(self.violations))
            for v in self.violations:
                ev = {k: x for k, x in v.items() if k not in ("check", "message")}
                print("  [%s] %s" % (v["check"], v["message"]))
                text = json.dumps(ev, default=str)
                print("      " + (text[:1500] + " …" if len(text) > 1500 else text))
        else:
            print("no violations")
        summary = {"seed": self.seed, "cycles": self.args.cycles, "seconds_per_cycle": self.args.seconds_per_cycle,
                   "elapsed_s": round(elapsed, 1), "counts": dict(self.counts), "info": self.info, "faults": self.timeline,
                   "checks": self.check_status, "violations": self.violations, "passed": not self.violations, "artefacts": self.out}
        path = os.path.join(self.out, "summary.json")
        json.dump(summary, open(path, "w"), indent=1, default=str)
        shutil.copy(path, os.path.join(ROOT, ".oncall", "chaos", "summary-latest.json"))
        print("summary: %s" % path)
        line = ("CHAOS %s seed=%s cycles=%d alerts=%d/202=%d incidents=%d acked=%d tickets=%d events=%d timers=%d kills=%d pg_restarts=%d outages=%d violations=%d"
                % ("PASS" if not self.violations else "FAIL", self.seed, self.args.cycles, self.counts["alerts_sent"], self.counts["alerts_202"],
                   self.counts["incidents"], self.counts["acknowledged"], self.counts["psa_tickets"], self.counts["lifecycle_events_published"],
                   self.counts["timers_fired"], self.counts["kills"], self.counts["pg_restarts"], self.counts["fake_outages"], len(self.violations)))
        print(line, flush=True)

    # -- clean-up ------------------------------------------------------------------------------------------
    def cleanup(self):
        if self.cleaned:
            return
        self.cleaned = True
        for node in self.nodes:
            try:
                node.kill9()
            except Exception:
                pass
        if self.fakes_proc and self.fakes_proc.poll() is None:
            os.killpg(self.fakes_proc.pid, signal.SIGKILL)
            self.fakes_proc.wait()
        if self.cluster:
            try:
                self.cluster.copy_log()
                self.cluster.stop("immediate", check=False)
            except Exception:
                pass
            # a postmaster that survived (it should not): stop it by the pid in its own pid file
            pidfile = os.path.join(self.cluster.data, "postmaster.pid")
            if os.path.exists(pidfile):
                try:
                    pid = int(open(pidfile).readline())
                    os.kill(pid, signal.SIGKILL)
                except (ValueError, OSError):
                    pass
        if self.args.keep_tmp:
            log("kept %s" % self.tmp)
        else:
            shutil.rmtree(self.tmp, ignore_errors=True)


def ts(text):
    return datetime.datetime.fromisoformat(text).timestamp()


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--cycles", type=int, default=4)
    p.add_argument("--seconds-per-cycle", type=int, default=30)
    p.add_argument("--seed", default=None, help="fault schedule and load seed (default: random, printed)")
    p.add_argument("--rate", type=float, default=25.0, help="requests per second, all workers together")
    p.add_argument("--workers", type=int, default=6)
    p.add_argument("--auto-resolve", type=int, default=0, help="service auto_resolve in seconds (0: unset)")
    p.add_argument("--ack-before-resolve", action="store_true",
                   help="technicians only resolve incidents they acknowledged (no resolve of a never-acknowledged incident)")
    p.add_argument("--drain-timeout", type=int, default=300, help="at most this long for the outbox to drain after the faults")
    p.add_argument("--no-progress", type=int, default=75, help="stop draining when the same outbox rows stay this long")
    p.add_argument("--bin", default=os.path.join(ROOT, ".build", "release", "oncall"))
    p.add_argument("--keep-tmp", action="store_true")
    p.add_argument("--log-level", default="debug", help="the nodes' ONCALL_LOG_LEVEL (debug shows each timer firing)")
    args = p.parse_args()
    if args.seed is None:
        args.seed = str(random.randrange(1, 10 ** 6))
    run = Run(args)

    def on_signal(signum, frame):
        raise KeyboardInterrupt("signal %d" % signum)
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGHUP, on_signal)
    status = 2
    try:
        log("chaos run seed=%s cycles=%d seconds-per-cycle=%d artefacts in %s" % (args.seed, args.cycles, args.seconds_per_cycle, run.out))
        run.setup()
        run.run_chaos()
        run.settle()
        run.check()
        run.report(time.time() - T0)
        status = 1 if run.violations else 0
    except KeyboardInterrupt as e:
        log("interrupted (%s): cleaning up" % e)
        status = 130
    except Exception:
        traceback.print_exc()
        log("the chaos run itself failed (not a verdict on the server); artefacts in %s" % run.out)
        status = 2
    finally:
        try:
            if hasattr(run, "load"):
                run.load.stop.set()
        except Exception:
            pass
        run.cleanup()
    sys.exit(status)


if __name__ == "__main__":
    main()
