// Reference webhook receiver in Node.js, written the way an integrator
// would: schemes 1 and 2 with crypto.createHmac and crypto.timingSafeEqual,
// scheme 3 with the standardwebhooks package.
//
// Usage: WEBHOOK_SECRET=whsec_... node receiver.js
// It listens on 127.0.0.1 (a free port), prints "PORT <n>", answers every
// POST with 200 {"verified":[...]} when every signature header present
// verifies and 401 {"error":...} otherwise, and exits when stdin closes.
"use strict";
const http = require("node:http");
const crypto = require("node:crypto");
const { Webhook } = require("standardwebhooks");

const secret = process.env.WEBHOOK_SECRET;
const TOLERANCE = 300; // seconds, both directions

function safeEqual(a, b) {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && crypto.timingSafeEqual(x, y);
}

// A header may carry several comma-separated signatures during a secret
// rotation; accept when any of them matches.
function anyMatch(header, expected) {
  return header.split(",").some((s) => safeEqual(s.trim(), expected));
}

function verify(headers, raw) {
  const verified = [];
  const sig = headers["x-liveness-signature"];
  if (sig !== undefined) {
    const expected = "sha256=" + crypto.createHmac("sha256", secret).update(raw).digest("hex");
    if (!anyMatch(sig, expected)) throw new Error("body signature mismatch");
    verified.push("body");
  }
  const tsig = headers["x-liveness-timestamped-signature"];
  if (tsig !== undefined) {
    const ts = headers["x-liveness-timestamp"];
    if (!headers["x-liveness-delivery-id"]) throw new Error("no delivery id");
    if (!/^\d+$/.test(ts || "")) throw new Error("bad timestamp");
    if (Math.abs(Math.floor(Date.now() / 1000) - Number(ts)) > TOLERANCE) throw new Error("timestamp out of range");
    const expected =
      "sha256=" + crypto.createHmac("sha256", secret).update(ts + ".").update(raw).digest("hex");
    if (!anyMatch(tsig, expected)) throw new Error("timestamped signature mismatch");
    verified.push("timestamped");
  }
  if (headers["webhook-signature"] !== undefined) {
    new Webhook(secret).verify(raw.toString("utf8"), headers); // throws on failure
    verified.push("standard");
  }
  if (verified.length === 0) throw new Error("no signature");
  return verified;
}

const server = http.createServer((req, res) => {
  const chunks = [];
  req.on("data", (c) => chunks.push(c));
  req.on("end", () => {
    const raw = Buffer.concat(chunks);
    let status = 200;
    let out;
    try {
      out = { verified: verify(req.headers, raw), event: JSON.parse(raw.toString("utf8")) };
    } catch (e) {
      status = 401;
      out = { error: String(e.message || e) };
    }
    res.writeHead(status, { "Content-Type": "application/json" });
    res.end(JSON.stringify(out));
  });
});

server.listen(0, "127.0.0.1", () => {
  process.stdout.write("PORT " + server.address().port + "\n");
});
process.stdin.on("end", () => process.exit(0));
process.stdin.resume();
