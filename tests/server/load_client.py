#!/usr/bin/env python3
"""Load for the server's fault tests: THREADS keep-alive connections POST the same body to PATH
until SECONDS pass or the server goes away, then print one JSON line of counts: statuses seen,
answers that did not match EXPECT (a body substring), and connections closed by the server.
Usage: load_client.py PORT PATH BODY_FILE CONTENT_TYPE THREADS SECONDS [EXPECT]"""
import http.client
import json
import sys
import threading
import time

port, path, body_file, ctype, threads, seconds = sys.argv[1:7]
expect = sys.argv[7].encode() if len(sys.argv) > 7 else None
body = open(body_file, "rb").read()
lock = threading.Lock()
counts = {"status": {}, "mismatch": 0, "closed": 0, "refused": 0}
end = time.time() + float(seconds)


def worker():
    conn = None
    while time.time() < end:
        try:
            if conn is None:
                conn = http.client.HTTPConnection("127.0.0.1", int(port), timeout=30)
            conn.request("POST", path, body=body, headers={"Content-Type": ctype, "Accept": ctype})
            r = conn.getresponse()
            data = r.read()
            with lock:
                counts["status"][str(r.status)] = counts["status"].get(str(r.status), 0) + 1
                if r.status == 200 and expect is not None and expect not in data:
                    counts["mismatch"] += 1
        except ConnectionRefusedError:
            with lock:
                counts["refused"] += 1
            return
        except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError,
                http.client.IncompleteRead):
            with lock:
                counts["closed"] += 1
            conn = None
            time.sleep(0.01)


ts = [threading.Thread(target=worker) for _ in range(int(threads))]
for t in ts:
    t.start()
for t in ts:
    t.join()
print(json.dumps(counts))
