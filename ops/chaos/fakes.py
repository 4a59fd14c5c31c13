#!/usr/bin/env python3
"""Fake peers for the chaos suite: a PSA, Hub Billing and a webhook paging receiver, each on its own port,
plus a control port. Threaded (http.server), standard library only.

Each fake behaves like a *correct* peer: a request whose Idempotency-Key it has already applied is answered
exactly as the first time and changes nothing (docs/psa.md, docs/hub.md, docs/paging.md). The PSA does NOT
deduplicate on `external_ref`: if the server asked for two tickets for one incident under two keys, two
tickets would exist, and the checker would see them.

Every request is appended as one JSON line to RECORDS_DIR/<fake>.jsonl: time, method, path, Idempotency-Key,
the body, the mode the fake was in, the status answered and whether the request had an effect (`applied`) or
was a replay (`replayed`).

Failure modes, switched per fake through the control port (`POST /mode {"fake": "psa", "mode": "error"}`):
  ok          normal behaviour
  error       500 or 503 (random), nothing applied
  lost_reply  the request IS applied, then 503 is answered (a peer that committed but whose answer was lost)
  hang        nothing applied; the answer (503) comes after 12 s, past the server's 10 s client timeout
  refuse      the connection is closed without an answer, nothing applied
Never a 4xx in a failure mode: 4xx means "the peer refused the request itself" and makes a dead letter.
The only 4xx answered is a 404 for a note or resolution sent to a ticket the PSA never made (a real bug).
"""
import json
import os
import random
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

RECORDS_DIR = sys.argv[1]
PORTS_FILE = sys.argv[2]

lock = threading.Lock()
modes = {"psa": "ok", "hub": "ok", "pager": "ok"}
files = {}
# PSA state: idempotency key -> (status, body); tickets by id.
psa_replies = {}
psa_tickets = {}
psa_next = [1000]
# Hub billing and pages: idempotency key -> (status, body).
hub_replies = {}
pager_replies = {}


def record(fake, entry):
    entry["t"] = time.time()
    line = json.dumps(entry, sort_keys=True) + "\n"
    with lock:
        f = files.get(fake)
        if f is None:
            f = files[fake] = open(os.path.join(RECORDS_DIR, fake + ".jsonl"), "a", buffering=1)
        f.write(line)


class Base(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    fake = "?"

    def log_message(self, *args):
        pass

    def body(self):
        n = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(n) if n else b""
        try:
            return json.loads(raw) if raw else None
        except ValueError:
            return {"_unparsed": raw.decode("utf-8", "replace")}

    def answer(self, status, obj=None):
        data = b"" if obj is None else json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if data:
            self.wfile.write(data)

    def handle_any(self):
        body = self.body()
        key = self.headers.get("Idempotency-Key")
        with lock:
            mode = modes[self.fake]
        entry = {"method": self.command, "path": self.path, "key": key, "mode": mode, "body": body}
        if mode == "error":
            status = random.choice([500, 503])
            entry.update(status=status, applied=False)
            record(self.fake, entry)
            self.answer(status, {"error": "chaos: failing"})
            return
        if mode == "hang":
            entry.update(status=503, applied=False, hung=True)
            record(self.fake, entry)
            time.sleep(12)
            try:
                self.answer(503, {"error": "chaos: too late"})
            except OSError:
                pass
            return
        if mode == "refuse":
            entry.update(status=None, applied=False, refused=True)
            record(self.fake, entry)
            self.close_connection = True
            try:
                self.connection.shutdown(2)
            except OSError:
                pass
            return
        status, obj, applied, replayed, extra = self.apply(body, key)
        entry.update(status=status, applied=applied, replayed=replayed, **extra)
        if mode == "lost_reply":
            entry["lost_reply"] = True
            record(self.fake, entry)
            self.answer(503, {"error": "chaos: the answer was lost"})
            return
        entry["answered"] = status
        record(self.fake, entry)
        self.answer(status, obj)

    do_POST = handle_any
    do_PATCH = handle_any
    do_PUT = handle_any


class PSA(Base):
    fake = "psa"

    def apply(self, body, key):
        with lock:
            if key and key in psa_replies:
                status, obj, extra = psa_replies[key]
                return status, obj, False, True, extra
            parts = self.path.rstrip("/").split("/")
            # /tickets, /tickets/{id}/notes, /tickets/{id}
            if self.command == "POST" and parts[-1] == "tickets":
                ticket = "T-%d" % psa_next[0]
                psa_next[0] += 1
                psa_tickets[ticket] = {"id": ticket, "external_ref": (body or {}).get("external_ref"), "notes": [], "status": "open"}
                status, obj, extra = 201, {"id": ticket, "external_ref": psa_tickets[ticket]["external_ref"]}, {"op": "create", "ticket": ticket}
            elif self.command == "POST" and parts[-1] == "notes" and len(parts) >= 3:
                ticket = parts[-2]
                if ticket not in psa_tickets:
                    return 404, {"error": "no such ticket"}, False, False, {"op": "note", "ticket": ticket, "unknown_ticket": True}
                psa_tickets[ticket]["notes"].append((body or {}).get("text"))
                status, obj, extra = 201, {"ok": True}, {"op": "note", "ticket": ticket}
            elif self.command == "PATCH" and len(parts) >= 2 and parts[-2] == "tickets":
                ticket = parts[-1]
                if ticket not in psa_tickets:
                    return 404, {"error": "no such ticket"}, False, False, {"op": "resolve", "ticket": ticket, "unknown_ticket": True}
                psa_tickets[ticket]["status"] = (body or {}).get("status")
                status, obj, extra = 200, {"id": ticket, "status": psa_tickets[ticket]["status"]}, {"op": "resolve", "ticket": ticket}
            else:
                return 404, {"error": "no such endpoint"}, False, False, {"op": "unknown"}
            if key:
                psa_replies[key] = (status, obj, extra)
            return status, obj, True, False, extra


class Hub(Base):
    fake = "hub"

    def apply(self, body, key):
        with lock:
            if key and key in hub_replies:
                return hub_replies[key][0], hub_replies[key][1], False, True, {}
            obj = {"accepted": True}
            if key:
                hub_replies[key] = (202, obj)
            return 202, obj, True, False, {}


class Pager(Base):
    fake = "pager"

    def apply(self, body, key):
        with lock:
            if key and key in pager_replies:
                return pager_replies[key][0], pager_replies[key][1], False, True, {}
            obj = {"received": True}
            if key:
                pager_replies[key] = (200, obj)
            return 200, obj, True, False, {}


class Control(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_POST(self):
        n = int(self.headers.get("Content-Length") or 0)
        req = json.loads(self.rfile.read(n) or b"{}")
        with lock:
            for fake in (req.get("fakes") or [req.get("fake")]):
                modes[fake] = req["mode"]
            data = json.dumps(modes).encode()
        record("control", {"set": req})
        self.send_response(200)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        with lock:
            data = json.dumps({"modes": modes, "tickets": psa_tickets}).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def serve(handler):
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server.server_address[1]


if __name__ == "__main__":
    ports = {name: serve(h) for name, h in (("psa", PSA), ("hub", Hub), ("pager", Pager), ("control", Control))}
    with open(PORTS_FILE + ".tmp", "w") as f:
        json.dump(ports, f)
    os.rename(PORTS_FILE + ".tmp", PORTS_FILE)
    while True:
        time.sleep(3600)
