// Prints a benchmark result (bench/results/*.json) as Markdown tables, for docs/benchmark.md and README.md:
//   node bench/report.js bench/results/reference-2026-11-25.json
'use strict';
const fs = require('fs');

const r = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const med = r.medians;
const targets = Object.keys(med[Object.keys(med)[0]] || {});
const has = (t) => targets.includes(t);
const n = (v, d = 0) => (v == null ? '-' : Number(v).toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d }));
const ratio = (a, b) => (a == null || b == null || b === 0 ? null : a / b);

const head = ['workload (median of rounds)', ...targets];
const ratioCols = [];
if (has('wsgate') && has('direct')) ratioCols.push(['wsgate ÷ direct', 'wsgate', 'direct']);
if (has('nginx') && has('direct')) ratioCols.push(['nginx ÷ direct', 'nginx', 'direct']);
if (has('wsgate') && has('nginx')) ratioCols.push(['wsgate ÷ nginx', 'wsgate', 'nginx']);
head.push(...ratioCols.map((c) => c[0]));
const rows = [];
for (const [w, m] of Object.entries(med)) {
  const echo = w.startsWith('echo');
  const metrics = echo
    ? [['msg/s', 'rate', true], ['p50 µs', 'p50_us'], ['p99 µs', 'p99_us'], ['p99.9 µs', 'p999_us']]
    : [['handshakes/s', 'rate', true], ['proxy CPU ms per handshake', 'target_cpu_ms_per_handshake']];
  for (const [label, key, isRate] of metrics) {
    const digits = key === 'target_cpu_ms_per_handshake' ? 2 : 0;
    rows.push([`${w} ${label}`, ...targets.map((t) => (m[t][key] == null ? '' : n(m[t][key], digits))),
      ...ratioCols.map(([, a, b]) => (isRate ? `**${n(ratio(m[a][key], m[b][key]), 2)}**` : ''))]);
  }
}
const mem = r.memory_medians || {};
const start = r.first_relay_ms_medians || {};
const sessions = r.options && r.options.sessions;
const proxyRow = (label, values, d) => [label, ...targets.map((t) => (t === 'direct' || values[t] == null ? '' : n(values[t], d))),
  ...ratioCols.map(([, a, b]) => (a !== 'direct' && b !== 'direct' && values[a] != null && values[b] != null ? `**${n(ratio(values[a], values[b]), 2)}**` : ''))];
rows.push(proxyRow(`RSS per idle session at ${n(sessions)}, KB`, Object.fromEntries(Object.entries(mem).map(([k, v]) => [k, v.rss_per_session_kb])), 1));
rows.push(proxyRow('heap per idle session after GC, KB', Object.fromEntries(Object.entries(mem).map(([k, v]) => [k, v.heap_per_session_kb])), 1));
rows.push(proxyRow('process start to first relayed message, ms', start, 0));

console.log(`| ${head.join(' | ')} |`);
console.log(`|${head.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`);
for (const row of rows) console.log(`| ${row.join(' | ')} |`);

if (r.ceilings_direct) {
  console.log('\nCeilings on the direct runs (CPU, % of one core):');
  console.log(Object.entries(r.ceilings_direct).map(([w, c]) => `${w} client ${n(c.client_cpu_pct)}% / backend ${n(c.backend_cpu_pct)}%`).join('; '));
}
if (r.targets && r.targets.length) {
  console.log('\n| target (issue 6) | result | |\n|---|---|---|');
  for (const t of r.targets) console.log(`| ${t.name} | ${t.detail} | ${t.met ? 'met' : '**not met**'} |`);
}
console.log(`\nload average (1, 5, 15 min) at start ${r.machine.loadavg_at_start || '-'}, at end ${r.machine.loadavg_at_end}`);
