#!/usr/bin/env python3
"""Helper of ops/bench/ack-latency (standard library only): opens incidents, then acknowledges them one by one
on a fixed schedule while the open-loop client of ingest-helper.py sends new alerts in the background, and
reports the acknowledgements' latency (from each one's scheduled send time: no coordinated omission).

    ack-latency.py URL KEY OPS_KEY TENANT INCIDENTS ACK_RATE BACKGROUND_RATE SECONDS
"""
import asyncio
import importlib.util
import json
import os
import re
import sys
import time
import urllib.parse

spec = importlib.util.spec_from_file_location("ingest_helper", os.path.join(os.path.dirname(__file__), "ingest-helper.py"))
ingest = importlib.util.module_from_spec(spec)
spec.loader.exec_module(ingest)


async def request(reader, writer, method, path, host, headers, body=b""):
    head = f"{method} {path} HTTP/1.1\r\nHost: {host}\r\nContent-Length: {len(body)}\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    writer.write(head.encode() + b"\r\n" + body)
    response = await reader.readuntil(b"\r\n\r\n")
    status = int(response.split(b" ", 2)[1])
    m = re.search(rb"(?i)content-length:\s*(\d+)", response)
    payload = await reader.readexactly(int(m.group(1))) if m else b""
    return status, payload


async def open_incidents(url, key, count):
    parsed = urllib.parse.urlsplit(url)
    ids = []

    async def worker(start):
        reader, writer = await asyncio.open_connection(parsed.hostname, parsed.port)
        for n in range(start, count, 16):
            body = json.dumps({"title": "Acknowledge benchmark", "severity": "critical", "dedup_key": f"ack-{n}"}).encode()
            status, payload = await request(reader, writer, "POST", parsed.path, f"{parsed.hostname}:{parsed.port}",
                                            {"X-Integration-Key": key, "Content-Type": "application/json"}, body)
            if status == 202:
                ids.append(json.loads(payload)["incident_id"])
        writer.close()

    await asyncio.gather(*(worker(i) for i in range(16)))
    return ids


async def acknowledge(url, ops_key, tenant, ids, rate, seconds):
    parsed = urllib.parse.urlsplit(url)
    host = f"{parsed.hostname}:{parsed.port}"
    latencies, statuses = [], {}
    queue = asyncio.Queue()

    async def worker():
        reader, writer = await asyncio.open_connection(parsed.hostname, parsed.port)
        while (item := await queue.get()) is not None:
            incident, due = item
            status, _ = await request(reader, writer, "POST", f"/api/incidents/{incident}/acknowledge", host,
                                      {"Authorization": f"Bearer {ops_key}", "X-Tenant-Id": tenant, "X-Technician-Id": "quiet"})
            latencies.append(time.monotonic() - due)
            statuses[status] = statuses.get(status, 0) + 1
        writer.close()

    workers = [asyncio.create_task(worker()) for _ in range(8)]
    total = min(len(ids), int(rate * seconds))
    start = time.monotonic() + 0.2
    for n in range(total):
        due = start + n / rate
        if (delay := due - time.monotonic()) > 0:
            await asyncio.sleep(delay)
        queue.put_nowait((ids[n], due))
    for _ in workers:
        queue.put_nowait(None)
    await asyncio.gather(*workers)
    latencies.sort()
    return {
        "acknowledged": statuses.get(200, 0), "other_statuses": {str(k): v for k, v in statuses.items() if k != 200}, "offered_per_s": rate,
        "p50_ms": round(ingest.percentile(latencies, 50) * 1000, 2), "p90_ms": round(ingest.percentile(latencies, 90) * 1000, 2),
        "p99_ms": round(ingest.percentile(latencies, 99) * 1000, 2), "max_ms": round(latencies[-1] * 1000, 2),
    }


async def main(url, key, ops_key, tenant, incidents, ack_rate, background_rate, seconds):
    ids = await open_incidents(url, key, incidents)
    # The background: new alerts at a fixed rate for the whole measurement (ingest-helper's client, its JSON kept).
    background = asyncio.create_task(asyncio.to_thread(
        lambda: os.popen(f"{sys.executable} {os.path.join(os.path.dirname(__file__), 'ingest-helper.py')} steady {url} {key} bg "
                         f"{background_rate} {seconds + 2} 32").read()))
    await asyncio.sleep(1.0)
    acks = await acknowledge(url, ops_key, tenant, ids, ack_rate, seconds)
    steady = json.loads(await background)
    print(json.dumps({"benchmark": "ack-latency", "incidents_opened": len(ids), "acknowledge": acks, "background": steady}))


if __name__ == "__main__":
    url, key, ops_key, tenant, incidents, ack_rate, background_rate, seconds = sys.argv[1:]
    asyncio.run(main(url, key, ops_key, tenant, int(incidents), float(ack_rate), float(background_rate), float(seconds)))
