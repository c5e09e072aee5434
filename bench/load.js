// The benchmark's load client, forked by bench.js and driven over IPC so that its CPU time is its own.
// One connection has one message in flight (send, wait for the reply, check it byte for byte, send the next):
// the rate is replies per second and the latency is each round trip.
'use strict';
const WebSocket = require('ws');
const { performance } = require('perf_hooks');

const CLIENT_OPTIONS = { perMessageDeflate: false, maxPayload: 1 << 20, handshakeTimeout: 10000 };

/** A text payload of `size` ASCII bytes that starts with the connection and sequence number. */
function stamp(buf, conn, seq) {
  const head = `${conn}:${seq}:`;
  buf.fill(0x78); // 'x'
  buf.write(head.length <= buf.length ? head : head.slice(0, buf.length), 0, 'latin1');
  return buf;
}

function open(url) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, CLIENT_OPTIONS);
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

function closed(ws) {
  return new Promise((resolve) => {
    if (ws.readyState === WebSocket.CLOSED) return resolve();
    ws.once('close', () => resolve());
  });
}

/** Sends one message and resolves with the reply, checked; rejects on a wrong reply. */
function echoOnce(ws, buf) {
  return new Promise((resolve, reject) => {
    ws.once('message', (data) => (data.equals(buf) ? resolve() : reject(new Error('reply differs from message'))));
    ws.once('close', (code) => reject(new Error(`closed with ${code} before the reply`)));
    ws.send(buf, { binary: false });
  });
}

function percentile(sorted, p) {
  if (sorted.length === 0) return null;
  const i = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return sorted[Math.max(0, i)];
}

async function echo({ url, connections, size, warmupMs, durationMs }, mark) {
  const sockets = [];
  for (let i = 0; i < connections; i++) sockets.push(await open(url));
  let measuring = false;
  let stopping = false;
  let count = 0;
  let errors = 0;
  const latencies = new Float64Array(4_000_000);
  const runs = sockets.map((ws, conn) => new Promise((resolve) => {
    const buf = Buffer.alloc(size);
    let seq = 0;
    let sentAt = 0;
    ws.on('message', (data) => {
      const now = performance.now();
      if (!data.equals(buf)) errors++;
      if (measuring) {
        if (count < latencies.length) latencies[count] = now - sentAt;
        count++;
      }
      if (stopping) return resolve();
      next();
    });
    ws.on('close', () => { if (!stopping) errors++; resolve(); });
    ws.on('error', () => {});
    function next() {
      stamp(buf, conn, seq++);
      sentAt = performance.now();
      ws.send(buf, { binary: false });
    }
    next();
  }));
  await sleep(warmupMs);
  mark('start');
  measuring = true;
  const start = performance.now();
  await sleep(durationMs);
  measuring = false;
  mark('stop');
  const seconds = (performance.now() - start) / 1000;
  const measured = count;
  stopping = true;
  await Promise.race([Promise.all(runs), sleep(5000)]);
  await Promise.all(sockets.map((ws) => { ws.close(1000); return Promise.race([closed(ws), sleep(3000)]); }));
  const sorted = latencies.subarray(0, Math.min(measured, latencies.length)).sort();
  const us = (v) => (v == null ? null : Math.round(v * 1000));
  return {
    messages: measured,
    seconds,
    rate: measured / seconds,
    p50_us: us(percentile(sorted, 50)),
    p99_us: us(percentile(sorted, 99)),
    p999_us: us(percentile(sorted, 99.9)),
    errors,
  };
}

async function handshakes({ url, concurrency, warmupMs, durationMs }, mark) {
  let count = 0;
  let errors = 0;
  let stop = false;
  async function worker(id) {
    const buf = Buffer.alloc(32);
    let seq = 0;
    while (!stop) {
      let ws;
      try {
        ws = await open(url);
        await echoOnce(ws, stamp(buf, id, seq++));
        ws.close(1000);
        await closed(ws);
        count++;
      } catch (e) {
        errors++;
        if (ws) ws.terminate();
        await sleep(10);
      }
    }
  }
  const workers = Array.from({ length: concurrency }, (_, i) => worker(i));
  await sleep(warmupMs || 0);
  mark('start');
  const start = performance.now();
  const before = count;
  const errorsBefore = errors;
  await sleep(durationMs);
  const measured = count - before;
  const seconds = (performance.now() - start) / 1000;
  mark('stop');
  stop = true;
  await Promise.race([Promise.all(workers), sleep(10000)]);
  return { handshakes: measured, seconds, rate: measured / seconds, errors: errors - errorsBefore };
}

const held = [];

/** Opens `count` sessions, `parallel` at a time, each checked with one echo, and keeps them open and idle. */
async function hold({ url, count, parallel }) {
  let failed = 0;
  let next = 0;
  let firstError = null;
  async function opener() {
    const buf = Buffer.alloc(32);
    while (next < count) {
      const id = next++;
      try {
        const ws = await open(url);
        ws.on('error', () => {});
        await echoOnce(ws, stamp(buf, id, 0));
        held.push(ws);
      } catch (e) {
        failed++;
        if (!firstError) firstError = String(e.message || e);
      }
    }
  }
  await Promise.all(Array.from({ length: parallel }, opener));
  const stillOpen = held.filter((ws) => ws.readyState === WebSocket.OPEN).length;
  return { open: stillOpen, failed, firstError };
}

async function release() {
  const sockets = held.splice(0);
  const stillOpen = sockets.filter((ws) => ws.readyState === WebSocket.OPEN).length;
  await Promise.all(sockets.map((ws) => { ws.close(1000); return Promise.race([closed(ws), sleep(10000)]); }));
  sockets.forEach((ws) => ws.terminate());
  return { closed: sockets.length, stillOpen };
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

const ops = { echo, handshakes, hold, release };
process.on('message', async ({ id, op, args }) => {
  try {
    const mark = (m) => process.send({ id, mark: m });
    process.send({ id, result: await ops[op](args || {}, mark) });
  } catch (e) {
    process.send({ id, error: String((e && e.stack) || e) });
  }
});
