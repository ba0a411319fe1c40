"""Reference webhook receiver in Python, standard library only, written the
way an integrator would: HMAC-SHA256 with hmac.compare_digest for schemes 1
and 2, and scheme 3 (Standard Webhooks) by hand.

Usage: WEBHOOK_SECRET=whsec_... python3 receiver.py
It listens on 127.0.0.1 (a free port), prints "PORT <n>", answers every POST
with 200 {"verified":[...]} when every signature header present verifies and
401 {"error":...} otherwise, and exits when stdin closes.
"""

import base64
import hashlib
import hmac
import json
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SECRET = os.environ["WEBHOOK_SECRET"]
TOLERANCE = 300  # seconds, both directions


def any_match(header, expected, sep=","):
    # Several signatures arrive during a secret rotation; accept any match.
    ok = False
    for sig in header.split(sep):
        if hmac.compare_digest(sig.strip().encode(), expected.encode()):
            ok = True
    return ok


def check_time(ts):
    if not ts or not ts.isdigit():
        raise ValueError("bad timestamp")
    if abs(int(time.time()) - int(ts)) > TOLERANCE:
        raise ValueError("timestamp out of range")


def verify(headers, raw):
    verified = []
    sig = headers.get("X-Liveness-Signature")
    if sig is not None:
        expected = "sha256=" + hmac.new(SECRET.encode(), raw, hashlib.sha256).hexdigest()
        if not any_match(sig, expected):
            raise ValueError("body signature mismatch")
        verified.append("body")
    tsig = headers.get("X-Liveness-Timestamped-Signature")
    if tsig is not None:
        ts = headers.get("X-Liveness-Timestamp")
        if not headers.get("X-Liveness-Delivery-Id"):
            raise ValueError("no delivery id")
        check_time(ts)
        expected = "sha256=" + hmac.new(SECRET.encode(), ts.encode() + b"." + raw, hashlib.sha256).hexdigest()
        if not any_match(tsig, expected):
            raise ValueError("timestamped signature mismatch")
        verified.append("timestamped")
    wsig = headers.get("webhook-signature")
    if wsig is not None:
        msg_id, ts = headers.get("webhook-id"), headers.get("webhook-timestamp")
        if not msg_id:
            raise ValueError("no webhook-id")
        check_time(ts)
        key = base64.b64decode(SECRET.removeprefix("whsec_"))
        mac = hmac.new(key, msg_id.encode() + b"." + ts.encode() + b"." + raw, hashlib.sha256).digest()
        expected = base64.b64encode(mac).decode()
        ok = False
        for item in wsig.split(" "):
            version, _, value = item.partition(",")
            if version == "v1" and hmac.compare_digest(value.encode(), expected.encode()):
                ok = True
        if not ok:
            raise ValueError("standard signature mismatch")
        verified.append("standard")
    if not verified:
        raise ValueError("no signature")
    return verified


class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        try:
            out, status = {"verified": verify(self.headers, raw), "event": json.loads(raw)}, 200
        except ValueError as e:
            out, status = {"error": str(e)}, 401
        body = json.dumps(out).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def main():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    print("PORT", server.server_address[1], flush=True)
    sys.stdin.read()  # returns when the test closes stdin
    server.shutdown()


if __name__ == "__main__":
    main()
