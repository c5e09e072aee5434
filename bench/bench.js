// wsgate benchmark: the same Node.js `ws` echo backend and the same load client against a direct connection,
// the wsgate jar and nginx (Debian's package), interleaved round by round so that machine drift is shared.
// Run it with bench/run.sh (which builds the jar, installs `ws` and raises the open-files limit); see
// docs/benchmark.md for the method and the options.
'use strict';
const { spawn, spawnSync, fork, execFileSync } = require('child_process');
const fs = require('fs');
const net = require('net');
const os = require('os');
const path = require('path');
const { performance } = require('perf_hooks');
// The `ws` package, loaded when first used: bench/run.sh installs it after reading the options, so --help works on a
// fresh clone.
const loadWs = () => require('ws');

const HERE = __dirname;
const REPO = path.resolve(HERE, '..');

// ---------------------------------------------------------------------------------------------- options
const DEFAULTS = {
  rounds: 3, // interleaved rounds of every workload on every target; the table shows medians
  duration: 5, // seconds measured per workload and target in a round
  warmup: 1, // seconds of load before each measurement starts (connections already open)
  jitWarmup: 8, // seconds of each 50-connection echo workload on the gateway before round 1 (JIT)
  // seconds of handshakes on the gateway before round 1: the handshake path runs a few hundred times a
  // second at most, so the JIT needs far longer to compile it than the relay path
  handshakeWarmup: 30,
  sessions: 9000, // idle proxied sessions for the memory measurement
  memoryRounds: 1, // fresh processes for the memory measurement, per proxy
  startRounds: 1, // extra fresh processes for the start-to-first-relayed-message measurement, per proxy (every
  // start is measured: the long-lived process, these, and the memory rounds' processes)
  targets: 'direct,wsgate,reactor-netty,nginx',
  workloads: 'echo-1c-32B,echo-1c-16KiB,echo-50c-32B,echo-50c-16KiB,handshakes-20',
  // JVM flags of the measured gateway process (see docs/benchmark.md, "Settings"); WSGATE_BENCH_JVM overrides.
  jvm: process.env.WSGATE_BENCH_JVM || '',
  // A second gateway process with these JVM flags (and --args-b), measured as target "wsgate-b" in the same
  // interleaved rounds: an A/B test of a setting on the same machine state.
  jvmB: '',
  // wsgate-b runs the plain jar on the PATH's java (with --jvm-b) instead of the image's runtime: an A/B of the two.
  plainB: false,
  // wsgate-b runs this other image layout (deploy/image/layout.sh DIR) instead of --image: an A/B of two images, e.g.
  // two AOT-cache training runs.
  imageB: '',
  // seconds of handshakes (20 at once) on every fresh process, from its first relayed message: the cold rate a rolling
  // deploy's reconnects meet, before the JIT has compiled the handshake path. 0 skips it.
  coldHandshakes: 20,
  argsB: '', // extra application arguments of wsgate-b, e.g. "--reactor.netty.ioWorkerCount=2"

  profile: false, // record JFR execution samples of the gateway (and of scg and reactor-netty) under the heavy workloads
  profileSeconds: 15,
  // The JDK that runs the gateway (its bin/java, bin/jcmd and bin/jfr); WSGATE_BENCH_JAVA_HOME overrides. Empty: the
  // java, jcmd and jfr on the PATH.
  javaHome: process.env.WSGATE_BENCH_JAVA_HOME || '',
  // The container image's runtime, laid out by deploy/image/layout.sh in this directory: its JDK, its
  // ENTRYPOINT's JVM flags (AOT cache, compact object headers) and its /app as the working directory. bench/run.sh
  // --image makes it. --jvm flags come after the image's.
  image: '',
  jar: '',
  out: '',
};

// The gateway's JDK, from --java-home once the options are read.
let gatewayJavaHome = '';

// A tool of the gateway's JDK (jcmd must be the attached JVM's own version, jfr reads its recordings).
function jdkTool(tool) {
  return gatewayJavaHome ? path.join(gatewayJavaHome, 'bin', tool) : tool;
}

function parseArgs(argv) {
  const opts = { ...DEFAULTS };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--help' || arg === '-h') {
      console.log(`usage: bench/run.sh [--build] [--no-image] [--rounds N] [--duration S] [--warmup S] [--sessions N] [--memory-rounds N]
                    [--start-rounds N] [--jit-warmup S] [--handshake-warmup S] [--targets direct,wsgate,reactor-netty,nginx] [--workloads LIST] [--jvm "FLAGS"]
                    [--jvm-b "FLAGS"] [--args-b "ARGS"] [--plain-b] [--image-b DIR] [--cold-handshakes S] [--profile] [--profile-seconds S] [--java-home DIR] [--image DIR] [--jar PATH] [--out FILE.json]
defaults: ${JSON.stringify(DEFAULTS)}`);
      process.exit(0);
    }
    const m = /^--([a-z-]+)(?:=(.*))?$/.exec(arg);
    if (!m) throw new Error(`unknown argument ${arg}`);
    const key = m[1].replace(/-([a-z])/g, (_, c) => c.toUpperCase());
    if (!(key in DEFAULTS)) throw new Error(`unknown option --${m[1]}`);
    if (typeof DEFAULTS[key] === 'boolean') {
      opts[key] = m[2] === undefined ? true : m[2] !== 'false';
      continue;
    }
    const value = m[2] !== undefined ? m[2] : argv[++i];
    opts[key] = typeof DEFAULTS[key] === 'number' ? Number(value) : value;
  }
  return opts;
}

// ---------------------------------------------------------------------------------------------- workloads
function workload(name) {
  let m = /^echo-(\d+)c-(\d+)(B|KiB)$/.exec(name);
  if (m) {
    return { name, kind: 'echo', connections: Number(m[1]), size: Number(m[2]) * (m[3] === 'KiB' ? 1024 : 1) };
  }
  m = /^handshakes-(\d+)$/.exec(name);
  if (m) return { name, kind: 'handshakes', concurrency: Number(m[1]) };
  throw new Error(`unknown workload ${name}`);
}

// ---------------------------------------------------------------------------------------------- processes
const CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;

function cpuSeconds(pids) {
  let ticks = 0;
  for (const pid of pids) {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks += Number(fields[11]) + Number(fields[12]); // utime, stime
    } catch (e) {
      // the process has gone
    }
  }
  return ticks / CLK_TCK;
}

function rssKiB(pids) {
  let kib = 0;
  for (const pid of pids) {
    try {
      const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
      if (m) kib += Number(m[1]);
    } catch (e) {
      // the process has gone
    }
  }
  return kib;
}

function childrenOf(pid) {
  const kids = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid) kids.push(Number(entry));
    } catch (e) {
      // gone
    }
  }
  return kids;
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

const started = [];

function launch(command, args, logFile, options = {}) {
  const log = fs.openSync(logFile, 'a');
  const child = spawn(command, args, { stdio: ['ignore', log, log], ...options });
  fs.closeSync(log);
  started.push(child);
  child.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  return child;
}

async function stop(child, signal = 'SIGTERM', graceMs = 10000) {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  child.kill(signal);
  const done = await Promise.race([child.exited, sleep(graceMs).then(() => null)]);
  if (!done) {
    child.kill('SIGKILL');
    await child.exited;
  }
}

function stopAllSync() {
  for (const child of started) {
    if (child.exitCode === null && child.signalCode === null) {
      try {
        child.kill('SIGKILL');
      } catch (e) {
        // gone
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------- WebSocket probe
/** Opens a session, relays one message and closes; resolves when the echo came back unchanged. */
function probe(url, timeoutMs = 2000) {
  return new Promise((resolve, reject) => {
    const payload = Buffer.from('first relayed message probe 0001');
    const ws = new (loadWs())(url, { perMessageDeflate: false, handshakeTimeout: timeoutMs });
    const timer = setTimeout(() => { ws.terminate(); reject(new Error('probe timeout')); }, timeoutMs);
    ws.once('open', () => ws.send(payload, { binary: false }));
    ws.once('message', (data) => {
      clearTimeout(timer);
      ws.close(1000);
      if (data.equals(payload)) resolve();
      else reject(new Error('probe reply differs'));
    });
    ws.once('error', (e) => { clearTimeout(timer); ws.terminate(); reject(e); });
  });
}

/** Milliseconds from `startedAt` until a message was relayed through `url` and back. */
async function firstRelay(url, startedAt, child, timeoutMs = 300000) {
  while (performance.now() - startedAt < timeoutMs) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${url}: process exited during start`);
    try {
      await probe(url);
      return performance.now() - startedAt;
    } catch (e) {
      await sleep(5);
    }
  }
  throw new Error(`${url}: no relayed message within ${timeoutMs} ms`);
}

// ---------------------------------------------------------------------------------------------- load client
class LoadClient {
  constructor(logFile) {
    const log = fs.openSync(logFile, 'a');
    this.child = fork(path.join(HERE, 'load.js'), [], { stdio: ['ignore', log, log, 'ipc'] });
    fs.closeSync(log);
    started.push(this.child);
    this.pending = new Map();
    this.nextId = 1;
    this.child.on('message', (msg) => {
      const p = this.pending.get(msg.id);
      if (!p) return;
      if (msg.mark) return p.onMark && p.onMark(msg.mark);
      this.pending.delete(msg.id);
      if (msg.error) p.reject(new Error(msg.error));
      else p.resolve(msg.result);
    });
    this.child.on('exit', (code) => {
      for (const p of this.pending.values()) p.reject(new Error(`load client exited with ${code}`));
    });
  }

  call(op, args, onMark) {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, onMark });
      this.child.send({ id, op, args });
    });
  }
}

// ---------------------------------------------------------------------------------------------- targets
/**
 * --profile: reactive stacks run deeper than JFR's default 64 frames, and the layers are their outer frames. Only for
 * the long-lived processes that are profiled: the flag adds the jdk.jfr module, which turns off the AOT cache's
 * module handling (a cache is made without it), and would slow the measured starts.
 */
function profilingFlags(profiled) {
  return profiled ? ['-XX:FlightRecorderOptions=stackdepth=512'] : [];
}

/**
 * Spawns a proxy that serves /bench/ on {@code port} and waits for the first message relayed through it; the time
 * from the spawn is the proxy's start-up figure.
 */
async function launchProxy(command, args, logFile, options, port) {
  const startedAt = performance.now();
  const child = launch(command, args, logFile, options);
  const url = `ws://127.0.0.1:${port}/bench/`;
  const firstRelayMs = await firstRelay(url, startedAt, child);
  return { url, child, firstRelayMs };
}

/** The bench's route: /bench/<path> → the Node backend's /<path>. Meters stay on (the product default). */
function writeRoutes(work, backendPort) {
  const routes = path.join(work, 'bench-routes.yml');
  fs.writeFileSync(routes, `spring:
  cloud:
    gateway:
      server:
        webflux:
          routes:
            - id: bench
              uri: ws://127.0.0.1:${backendPort}
              predicates:
                - Path=/bench/**
              filters:
                - StripPrefix=1
              metadata:
                health-path: /
`);
  return routes;
}

function gatewayTarget(opts, backendPort, work, logDir, name = 'wsgate', jvmFlags = opts.jvm, appArgs = '', plain = false) {
  const routes = writeRoutes(work, backendPort);
  let seq = 0;
  return {
    name,
    async start({ profiled = false } = {}) {
      const port = await freePort();
      const management = await freePort();
      const image = plain ? null : (name === 'wsgate-b' && opts.imageLayoutB) || opts.imageLayout;
      const jvm = [...(image ? image.flags : []), ...jvmFlags.split(/\s+/).filter(Boolean), ...profilingFlags(profiled)];
      // In the image's /app, its relative jar path: the JVM takes the AOT cache only for the class path it was made with.
      const args = [...jvm, '-jar', image ? image.jar : opts.plainJar, `--spring.config.additional-location=file:${routes}`,
        `--server.port=${port}`, `--management.server.port=${management}`, ...appArgs.split(/\s+/).filter(Boolean)];
      const cwd = image ? path.join(image.dir, 'app') : work;
      const env = image ? { ...process.env, JAVA_TOOL_OPTIONS: image.toolOptions } : process.env;
      const { url, child, firstRelayMs } = await launchProxy(plain ? 'java' : jdkTool('java'), args,
        path.join(logDir, `${name}-${++seq}.log`), { cwd, env }, port);
      return { url, child, pids: () => [child.pid], firstRelayMs, jvm: true, management };
    },
  };
}

/**
 * A program of bench/ on the image's runtime, beside the gateway: its JDK, its flags and its jars from the image's
 * app/lib (less the ones named), and an AOT cache of its own, trained once on handshakes and messages before its
 * first measured start (the image's cache is for the gateway's class path).
 * - reactor-netty (bench/ReactorNettyProxy.java): the floor, a proxy on Reactor Netty alone, no Spring;
 * - scg (bench/StockGateway.java): stock Spring Cloud Gateway on the same route file, no wsgate, no Spring Security.
 */
function benchProgramTarget(name, source, dropJars, programArgs, opts, backendPort, work, logDir, client) {
  if (!opts.imageLayout) return null;
  const lib = path.join(opts.imageLayout.dir, 'app', 'lib');
  const jars = fs.readdirSync(lib).filter((f) => f.endsWith('.jar') && !dropJars.test(f));
  const dir = path.join(work, name);
  // In a jar: the JVM makes no AOT cache for a class path with a non-empty directory.
  const jar = path.join(dir, `${name}.jar`);
  const cache = path.join(dir, `${name}.aot`);
  const classPath = [jar, ...jars.map((f) => path.join(lib, f))].join(':');
  const env = { ...process.env, JAVA_TOOL_OPTIONS: opts.imageLayout.toolOptions };
  const mainClass = path.basename(source, '.java');
  let seq = 0;
  const launchProgram = async (extraJvm, profiled = false) => {
    const port = await freePort();
    const jvm = [...opts.imageLayout.flags.filter((f) => !f.startsWith('-XX:AOTCache')), ...extraJvm,
      ...opts.jvm.split(/\s+/).filter(Boolean), ...profilingFlags(profiled)];
    const started = await launchProxy(jdkTool('java'), [...jvm, '-cp', classPath, mainClass, ...programArgs(port)],
      path.join(logDir, `${name}-${++seq}.log`), { env }, port);
    return { ...started, pids: () => [started.child.pid], jvm: true };
  };
  return {
    name,
    async start({ profiled = false } = {}) {
      if (!fs.existsSync(cache)) {
        const classes = path.join(dir, 'classes');
        fs.mkdirSync(classes, { recursive: true });
        execFileSync(jdkTool('javac'), ['-cp', classPath, '-d', classes, path.join(HERE, source)], { stdio: 'inherit' });
        execFileSync(jdkTool('jar'), ['cf', jar, '-C', classes, '.'], { stdio: 'inherit' });
        // The training run: the JVM writes the cache when the process exits.
        const training = await launchProgram([`-XX:AOTCacheOutput=${cache}`]);
        await client.call('handshakes', { url: training.url, concurrency: 20, warmupMs: 0, durationMs: 5000 });
        await client.call('echo', { url: training.url, connections: 50, size: 32, warmupMs: 0, durationMs: 3000 });
        await stop(training.child, 'SIGTERM', 120000);
        if (!fs.existsSync(cache)) throw new Error(`${name}: the training run wrote no AOT cache (${path.relative(REPO, logDir)})`);
      }
      return launchProgram([`-XX:AOTCache=${cache}`], profiled);
    },
  };
}

function reactorNettyTarget(opts, backendPort, work, logDir, client) {
  // Without a logging provider Netty and Reactor log nothing, as a proxy with its logs off.
  return benchProgramTarget('reactor-netty', 'ReactorNettyProxy.java', /^(logback|log4j-to-slf4j|jul-to-slf4j)-/,
    (port) => [String(port), String(backendPort)], opts, backendPort, work, logDir, client);
}

function stockGatewayTarget(opts, backendPort, work, logDir, client) {
  const routes = writeRoutes(work, backendPort);
  // wsgate's observation settings (the two observations of an upgrade off), so that the difference is wsgate's code.
  return benchProgramTarget('scg', 'StockGateway.java', /^spring-(boot-)?security/,
    (port) => [`--spring.config.additional-location=file:${routes}`, `--server.port=${port}`,
      '--spring.cloud.gateway.server.webflux.observability.enabled=false',
      '--management.observations.enable.http.server.requests=false'],
    opts, backendPort, work, logDir, client);
}

function nginxTarget(backendPort, work, logDir) {
  const nginx = ['/usr/sbin/nginx', '/usr/bin/nginx'].find((p) => fs.existsSync(p));
  if (!nginx) return null;
  let seq = 0;
  return {
    name: 'nginx',
    version: versionOf(nginx, ['-v']),
    async start() {
      const port = await freePort();
      const prefix = path.join(work, `nginx-${++seq}`);
      fs.mkdirSync(path.join(prefix, 'tmp'), { recursive: true });
      fs.chmodSync(prefix, 0o755);
      const conf = path.join(prefix, 'nginx.conf');
      // Debian's defaults where they matter (worker_processes auto, access log on), WebSocket upgrade headers
      // as in nginx's documentation, idle timeouts long enough for the idle sessions, and files for 2 × 9,000.
      fs.writeFileSync(conf, `daemon off;
worker_processes auto;
worker_rlimit_nofile 20000;
pid ${prefix}/nginx.pid;
error_log ${prefix}/error.log warn;
events {
  worker_connections 20000;
}
http {
  access_log ${prefix}/access.log;
  client_body_temp_path ${prefix}/tmp/body;
  proxy_temp_path ${prefix}/tmp/proxy;
  fastcgi_temp_path ${prefix}/tmp/fastcgi;
  uwsgi_temp_path ${prefix}/tmp/uwsgi;
  scgi_temp_path ${prefix}/tmp/scgi;
  map $http_upgrade $connection_upgrade {
    default upgrade;
    '' close;
  }
  server {
    listen 127.0.0.1:${port};
    location /bench/ {
      proxy_pass http://127.0.0.1:${backendPort}/;
      proxy_http_version 1.1;
      proxy_set_header Upgrade $http_upgrade;
      proxy_set_header Connection $connection_upgrade;
      proxy_read_timeout 1h;
      proxy_send_timeout 1h;
    }
  }
}
`);
      const started = await launchProxy(nginx, ['-p', prefix, '-e', `${prefix}/error.log`, '-c', conf],
        path.join(logDir, `nginx-${seq}.log`), {}, port);
      return { ...started, pids: () => [started.child.pid, ...childrenOf(started.child.pid)], jvm: false };
    },
  };
}

/** The first line a program prints about its version (nginx and java print it on stderr). */
function versionOf(binary, args) {
  const r = spawnSync(binary, args, { encoding: 'utf8' });
  return `${r.stdout || ''}${r.stderr || ''}`.trim().split('\n')[0];
}

// ---------------------------------------------------------------------------------------------- JVM helpers
// The jcmd of the JDK that runs the process (jcmd attaches only to its own JDK version).
function jcmd(pid, ...args) {
  const tool = path.join(path.dirname(fs.readlinkSync(`/proc/${pid}/exe`)), 'jcmd');
  return execFileSync(tool, [String(pid), ...args], { stdio: ['ignore', 'pipe', 'pipe'] }).toString();
}

/** The classes holding the most heap (live objects), with bytes and instances per session. */
function classHistogram(pid, sessions, n = 30) {
  const lines = jcmd(pid, 'GC.class_histogram').split('\n');
  const rows = [];
  for (const line of lines) {
    const m = /^\s*\d+:\s+(\d+)\s+(\d+)\s+(\S+)/.exec(line);
    if (m) rows.push({ class: m[3], instances: Number(m[1]), bytes: Number(m[2]) });
  }
  return rows.slice(0, n).map((r) => ({
    ...r,
    per_session_instances: sessions ? round(r.instances / sessions, 2) : null,
    per_session_bytes: sessions ? Math.round(r.bytes / sessions) : null,
  }));
}

/** Heap in use right after a full GC, in KiB (from GC.heap_info's first "used" figure). */
function heapAfterGcKiB(pid) {
  jcmd(pid, 'GC.run');
  const info = jcmd(pid, 'GC.heap_info');
  const m = /used (\d+)K/.exec(info);
  return m ? Number(m[1]) : null;
}

// ---------------------------------------------------------------------------------------------- measuring
async function measure(client, w, target, opts, backend) {
  const pidsOf = () => ({ client: [client.child.pid], backend: [backend.pid], target: target ? target.pids() : [] });
  let before;
  let startedAt;
  let cpu;
  const onMark = (mark) => {
    const now = performance.now();
    const pids = pidsOf();
    const sample = { client: cpuSeconds(pids.client), backend: cpuSeconds(pids.backend), target: cpuSeconds(pids.target) };
    if (mark === 'start') {
      before = sample;
      startedAt = now;
    } else if (mark === 'stop' && before) {
      const seconds = (now - startedAt) / 1000;
      cpu = {};
      for (const k of Object.keys(sample)) cpu[k] = (100 * (sample[k] - before[k])) / seconds;
      cpu.seconds = seconds;
      cpu.targetCpuSeconds = sample.target - before.target;
    }
  };
  const url = target ? target.url : backend.url;
  let result;
  if (w.kind === 'echo') {
    result = await client.call('echo', {
      url, connections: w.connections, size: w.size, warmupMs: opts.warmup * 1000, durationMs: opts.duration * 1000,
    }, onMark);
  } else {
    result = await client.call('handshakes', {
      url, concurrency: w.concurrency, warmupMs: opts.warmup * 1000, durationMs: opts.duration * 1000,
    }, onMark);
  }
  if (cpu) {
    result.cpu = {
      client_pct: round(cpu.client, 1),
      backend_pct: round(cpu.backend, 1),
      target_pct: target ? round(cpu.target, 1) : null,
    };
    if (w.kind === 'handshakes' && target && result.handshakes > 0) {
      result.target_cpu_ms_per_handshake = round((1000 * cpu.targetCpuSeconds) / result.handshakes, 3);
    }
  }
  return result;
}

function round(v, digits = 0) {
  if (v == null || Number.isNaN(v)) return null;
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}

function median(values) {
  const v = values.filter((x) => x != null).sort((a, b) => a - b);
  if (v.length === 0) return null;
  const mid = Math.floor(v.length / 2);
  return v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}

// ---------------------------------------------------------------------------------------------- profile
function summariseJfr(file, depth = 512) {
  const json = execFileSync(jdkTool('jfr'), ['print', '--json', '--stack-depth', String(depth), '--events', 'jdk.ExecutionSample', file],
    { maxBuffer: 1 << 30 }).toString();
  const events = JSON.parse(json).recording.events;
  const self = new Map();
  const inclusive = new Map();
  const threads = new Map();
  const bump = (map, key) => map.set(key, (map.get(key) || 0) + 1);
  for (const e of events) {
    const frames = (e.values.stackTrace && e.values.stackTrace.frames) || [];
    if (frames.length === 0) continue;
    const name = (f) => `${f.method.type.name}.${f.method.name}`;
    bump(self, name(frames[0]));
    for (const key of new Set(frames.map(name))) bump(inclusive, key);
    const thread = e.values.sampledThread ? (e.values.sampledThread.javaName || e.values.sampledThread.osName) : '?';
    bump(threads, thread.replace(/-\d+$/, '-N'));
  }
  const areas = new Map();
  for (const e of events) {
    const frames = (e.values.stackTrace && e.values.stackTrace.frames) || [];
    if (frames.length) bump(areas, area(frames));
  }
  const top = (map, n) => [...map.entries()].sort((a, b) => b[1] - a[1]).slice(0, n)
    .map(([frame, samples]) => ({ frame, samples, pct: round((100 * samples) / events.length, 1) }));
  // Threads parked in native code (an event loop waiting in epoll_wait is idle, not busy).
  const nativeJson = execFileSync(jdkTool('jfr'), ['print', '--json', '--stack-depth', '1', '--events', 'jdk.NativeMethodSample', file],
    { maxBuffer: 1 << 30 }).toString();
  const nativeEvents = JSON.parse(nativeJson).recording.events;
  const natives = new Map();
  for (const e of nativeEvents) {
    const frames = (e.values.stackTrace && e.values.stackTrace.frames) || [];
    if (frames.length) bump(natives, `${frames[0].method.type.name}.${frames[0].method.name}`);
  }
  const nativeTop = [...natives.entries()].sort((a, b) => b[1] - a[1]).slice(0, 8)
    .map(([frame, samples]) => ({ frame, samples, pct: round((100 * samples) / nativeEvents.length, 1) }));
  // The handshake path by layer: the share of samples with a layer's entry point anywhere on the stack (layers nest,
  // so the shares overlap: the filter chain includes wsgate's filters).
  const layers = HANDSHAKE_LAYERS.map(([label, pattern]) => {
    const n = events.filter((e) => ((e.values.stackTrace && e.values.stackTrace.frames) || [])
      .some((f) => pattern.test(`${f.method.type.name}.${f.method.name}`))).length;
    return { layer: label, samples: n, pct: round((100 * n) / events.length, 1) };
  });
  return { samples: events.length, nativeSamples: nativeEvents.length, nativeTop, areas: top(areas, 20), layers, selfTop: top(self, 30), inclusiveTop: top(inclusive, 60), threads: top(threads, 10) };
}

/** Entry points of the handshake path's layers, matched against "class.method" of every frame of a sample. */
const HANDSHAKE_LAYERS = [
  ['WebFlux exchange (HttpWebHandlerAdapter.handle)', /^org\/springframework\/web\/server\/adapter\/HttpWebHandlerAdapter\.handle$/],
  ['Spring Security web filter chain', /^org\/springframework\/security\/web\/server\/WebFilterChainProxy\.filter$/],
  ['route matching (RoutePredicateHandlerMapping)', /^org\/springframework\/cloud\/gateway\/handler\/RoutePredicateHandlerMapping\.getHandlerInternal$/],
  ['gateway filter chain (FilteringWebHandler)', /^org\/springframework\/cloud\/gateway\/handler\/FilteringWebHandler\.handle$/],
  ['gateway header filters', /^org\/springframework\/cloud\/gateway\/filter\/headers\/.*\.filter$/],
  ['wsgate auth filter', /^io\/wsgate\/auth\/HandshakeAuthFilter\.filter$/],
  ['wsgate admission filter', /^io\/wsgate\/admission\/HandshakeAdmissionFilter\.filter$/],
  ['wsgate relay filter (backend connect, upgrade)', /^io\/wsgate\/proxy\/WebSocketRelayFilter\.filter$/],
  ['Reactor Netty HTTP client (backend handshake)', /^reactor\/netty\/http\/client\/HttpClientConnect.*/],
  ['Netty WebSocket handshakers', /^io\/netty\/handler\/codec\/http\/websocketx\/WebSocket(Server|Client)Handshaker.*\.handshake$/],
  ['observations (Micrometer Observation)', /^io\/micrometer\/observation\//],
  ['meters (Micrometer core)', /^io\/micrometer\/core\//],
  ['logging', /^ch\/qos\/logback\//],
  ['Netty HTTP codec', /^io\/netty\/handler\/codec\/http\/Http(Object|Server|Client)(Decoder|Encoder|Codec)/],
];

/** What a sample spends its time on: the innermost frame outside the JDK's own classes, by library. */
function area(frames) {
  const AREAS = [
    [/^io\/wsgate\/|^io\.wsgate\./, 'wsgate'],
    [/^io\/micrometer\//, 'Micrometer (meters, observations)'],
    [/^ch\/qos\/logback|^org\/slf4j|^org\/apache\/logging|^org\/apache\/commons\/logging/, 'logging'],
    [/^io\/netty\/channel\/epoll|^io\/netty\/channel\/unix/, 'Netty epoll transport (syscalls, event loop)'],
    [/^io\/netty\/handler\/codec\/http\/websocketx/, 'Netty WebSocket codec'],
    [/^io\/netty\/handler\/codec\/http/, 'Netty HTTP codec'],
    [/^io\/netty\/buffer|^io\/netty\/util/, 'Netty buffers and utilities'],
    [/^io\/netty\//, 'Netty pipeline and channels'],
    [/^reactor\/netty\//, 'Reactor Netty'],
    [/^reactor\/core\/|^reactor\/util\//, 'Reactor core (operators)'],
    [/^org\/springframework\/cloud\/gateway/, 'Spring Cloud Gateway'],
    [/^org\/springframework\/web|^org\/springframework\/http/, 'Spring WebFlux / HTTP'],
    [/^org\/springframework\//, 'Spring (other)'],
  ];
  for (const f of frames) {
    const type = f.method.type.name;
    for (const [re, name] of AREAS) if (re.test(type)) return name;
  }
  return `JDK / other (${frames[0].method.type.name.split('/').slice(0, 3).join('.')})`;
}

async function profileGateway(client, gateway, opts, backend, resultsDir, stamp) {
  const out = [];
  for (const name of ['echo-50c-32B', 'echo-50c-16KiB', 'handshakes-20']) {
    const w = workload(name);
    const file = path.join(resultsDir, `profile-${stamp}-${name}.jfr`);
    jcmd(gateway.child.pid, 'JFR.start', `name=bench-${name}`, 'settings=profile');
    const result = await measure(client, w, gateway, { ...opts, duration: opts.profileSeconds }, backend);
    jcmd(gateway.child.pid, 'JFR.stop', `name=bench-${name}`, `filename=${file}`);
    const summary = summariseJfr(file);
    out.push({ workload: name, jfr: path.relative(REPO, file), result, ...summary });
    console.log(`\nprofile ${name}: ${summary.samples} samples (JFR ${path.relative(REPO, file)})`);
    console.log(`  native samples: ${summary.nativeSamples}, top: ${summary.nativeTop.slice(0, 3).map((f) => `${f.frame} ${f.pct}%`).join(', ')}`);
    if (name.startsWith('handshakes')) {
      console.log('  by layer (share of samples with the layer on the stack; layers nest):');
      for (const l of summary.layers) console.log(`    ${String(l.pct).padStart(5)}%  ${l.layer}`);
    }
    console.log('  by area (innermost non-JDK frame):');
    for (const f of summary.areas.slice(0, 10)) console.log(`    ${String(f.pct).padStart(5)}%  ${f.frame}`);
    console.log('  top frames (self):');
    for (const f of summary.selfTop.slice(0, 15)) console.log(`    ${String(f.pct).padStart(5)}%  ${f.frame}`);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------- table
function fmt(v, digits = 0) {
  if (v == null) return '-';
  return Number(v).toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

function ratio(a, b) {
  return a == null || b == null || b === 0 ? null : a / b;
}

function printTable(rows, columns) {
  const widths = columns.map((c, i) => Math.max(c.length, ...rows.map((r) => String(r[i]).length)));
  const line = (cells) => cells.map((c, i) => (i === 0 ? String(c).padEnd(widths[i]) : String(c).padStart(widths[i]))).join('  ');
  console.log(line(columns));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of rows) console.log(line(r));
}

// ---------------------------------------------------------------------------------------------- main
/**
 * The cold handshake rate: 20 handshakes at once on a fresh process for --cold-handshakes seconds from its first
 * relayed message, with the process's CPU per handshake.
 */
async function coldHandshakes(client, t, opts) {
  if (!opts.coldHandshakes) return {};
  const cpu0 = cpuSeconds(t.pids());
  const r = await client.call('handshakes', { url: t.url, concurrency: 20, warmupMs: 0, durationMs: opts.coldHandshakes * 1000 });
  const cpu = cpuSeconds(t.pids()) - cpu0;
  return {
    cold_handshakes_per_s: round(r.rate),
    cold_cpu_ms_per_handshake: r.handshakes > 0 ? round((1000 * cpu) / r.handshakes, 3) : null,
    cold_errors: r.errors,
  };
}

/** An image layout of deploy/image/layout.sh: its ENTRYPOINT (java <flags> -jar application.jar), run in its /app. */
function imageLayout(dir) {
  const entrypoint = fs.readFileSync(path.join(dir, 'entrypoint'), 'utf8').split('\n').filter(Boolean);
  return {
    dir: path.resolve(dir),
    javaHome: fs.readFileSync(path.join(dir, 'java-home'), 'utf8').trim(),
    // The image's JAVA_TOOL_OPTIONS (heap percentages of the memory limit, or of the host's memory without one).
    toolOptions: fs.readFileSync(path.join(dir, 'java-tool-options'), 'utf8').trim(),
    flags: entrypoint.slice(1, entrypoint.indexOf('-jar')),
    jar: entrypoint[entrypoint.indexOf('-jar') + 1],
  };
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  if (!opts.jar) {
    const dir = path.join(REPO, 'target');
    const jars = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => /^wsgate-.*\.jar$/.test(f) && !f.endsWith('.original')) : [];
    if (jars.length === 0) throw new Error('no target/wsgate-*.jar: run ./mvnw -DskipTests package (bench/run.sh does)');
    opts.jar = path.join(dir, jars[0]);
  }
  opts.plainJar = opts.jar;
  if (opts.image) {
    opts.imageLayout = imageLayout(opts.image);
    opts.javaHome = opts.imageLayout.javaHome;
    opts.jar = path.join(opts.imageLayout.dir, 'app', opts.imageLayout.jar);
  }
  if (opts.imageB) opts.imageLayoutB = imageLayout(opts.imageB);
  gatewayJavaHome = opts.javaHome;
  const gatewayJavaVersion = versionOf(jdkTool('java'), ['-version']);
  const loadAtStart = os.loadavg().map((x) => round(x, 2));
  const stamp = new Date().toISOString().replace(/[:.]/g, '').replace('T', '-').slice(0, 15);
  const resultsDir = path.join(HERE, 'results');
  const work = path.join(resultsDir, `work-${stamp}`);
  fs.mkdirSync(work, { recursive: true });
  const out = opts.out || path.join(resultsDir, `bench-${stamp}.json`);
  const nofile = Number(execFileSync('sh', ['-c', 'ulimit -n']).toString().trim());
  console.log(`wsgate bench ${stamp}: ${os.cpus().length} cores, open files ${nofile}, jar ${path.relative(REPO, opts.jar)}`);
  console.log(`  rounds ${opts.rounds} × ${opts.duration}s (+${opts.warmup}s warm-up), sessions ${opts.sessions}, gateway JVM flags "${[...(opts.imageLayout ? [opts.imageLayout.toolOptions, ...opts.imageLayout.flags] : []), opts.jvm].join(' ').trim()}", ${gatewayJavaVersion}`);
  if (nofile < 2 * opts.sessions + 500) {
    console.log(`  WARNING: open files ${nofile} < 2 × ${opts.sessions} sessions + 500: the memory measurement will fail`);
  }

  const backendPort = await freePort();
  const backendChild = launch(process.execPath, [path.join(HERE, 'backend.js'), String(backendPort)], path.join(work, 'backend.log'));
  const backend = { pid: backendChild.pid, url: `ws://127.0.0.1:${backendPort}/` };
  await firstRelay(backend.url, performance.now(), backendChild, 10000);
  const client = new LoadClient(path.join(work, 'load-client.log'));

  const wanted = opts.targets.split(',');
  const proxies = [];
  if (wanted.includes('wsgate')) proxies.push(gatewayTarget(opts, backendPort, work, work));
  if (opts.jvmB || opts.argsB || opts.plainB || opts.imageB) proxies.push(gatewayTarget(opts, backendPort, work, work, 'wsgate-b', opts.jvmB, opts.argsB, opts.plainB));
  const notes = [];
  for (const [name, target] of [['scg', stockGatewayTarget], ['reactor-netty', reactorNettyTarget]]) {
    if (!wanted.includes(name)) continue;
    const t = target(opts, backendPort, work, work, client);
    if (t) proxies.push(t);
    else notes.push(`the ${name} target needs the image layout (bench/run.sh without --no-image): its column is empty`);
  }
  if (wanted.includes('nginx')) {
    const n = nginxTarget(backendPort, work, work);
    if (n) proxies.push(n);
    else notes.push('nginx is not installed (apt-get install -y nginx): its column is empty');
  }
  notes.forEach((n) => console.log(`  NOTE: ${n}`));

  // Long-lived proxies for the rate and handshake workloads.
  const running = {};
  for (const p of proxies) {
    running[p.name] = await p.start({ profiled: opts.profile });
    console.log(`  ${p.name} up at ${running[p.name].url} (first relayed message after ${fmt(running[p.name].firstRelayMs)} ms)`);
  }
  const targetNames = [...(wanted.includes('direct') ? ['direct'] : []), ...proxies.map((p) => p.name)];
  const targetOf = (name) => (name === 'direct' ? null : running[name]);
  const workloads = opts.workloads.split(',').filter(Boolean).map(workload);
  const starts = proxies.map((p) => ({ round: 0, target: p.name, first_relay_ms: round(running[p.name].firstRelayMs) }));

  // Warm-up: the JIT compiles the gateway's relay and handshake paths before anything counts.
  console.log('warm-up');
  for (const name of workloads.length ? targetNames : []) {
    const gateway = name !== 'direct' && running[name].jvm; // the JIT compiles, nginx needs no warm-up
    for (const w of [workload('echo-50c-32B'), workload('echo-50c-16KiB'), workload('handshakes-20')]) {
      const secs = gateway ? (w.kind === 'handshakes' ? opts.handshakeWarmup : opts.jitWarmup) : 2;
      await measure(client, w, targetOf(name), { ...opts, warmup: 0, duration: secs }, backend);
    }
  }

  const runs = [];
  for (let r = 0; r < opts.rounds; r++) {
    // Rotate the order each round so that no target always runs first or last.
    const order = targetNames.map((_, i) => targetNames[(i + r) % targetNames.length]);
    for (const w of workloads) {
      for (const name of order) {
        const result = await measure(client, w, targetOf(name), opts, backend);
        runs.push({ round: r + 1, workload: w.name, target: name, ...result, loadavg_1m: round(os.loadavg()[0], 2) });
        const summary = w.kind === 'echo'
          ? `${fmt(result.rate)} msg/s p50 ${fmt(result.p50_us)} p99 ${fmt(result.p99_us)} p99.9 ${fmt(result.p999_us)} µs`
          : `${fmt(result.rate)} handshakes/s`;
        const cpu = result.cpu ? ` cpu client ${result.cpu.client_pct}% backend ${result.cpu.backend_pct}%` +
          (result.cpu.target_pct != null ? ` ${name} ${result.cpu.target_pct}%` : '') : '';
        console.log(`  round ${r + 1} ${w.name.padEnd(15)} ${name.padEnd(6)} ${summary}${cpu}${result.errors ? ` ERRORS ${result.errors}` : ''}`);
      }
    }
  }

  let profile = null;
  const otherProfiles = {};
  if (opts.profile && running.wsgate) {
    profile = await profileGateway(client, running.wsgate, opts, backend, resultsDir, stamp);
  }
  for (const name of ['scg', 'reactor-netty']) {
    if (!opts.profile || !running[name]) continue;
    console.log(`\nprofiles of ${name}:`);
    otherProfiles[name] = await profileGateway(client, running[name], opts, backend, resultsDir, `${stamp}-${name}`);
  }
  for (const p of proxies) await stop(running[p.name].child);

  // Fresh processes: time from process start to the first relayed message.
  for (let r = 0; r < opts.startRounds; r++) {
    for (const p of proxies) {
      const t = await p.start();
      const cold = await coldHandshakes(client, t, opts);
      starts.push({ round: r + 1, target: p.name, first_relay_ms: round(t.firstRelayMs), ...cold });
      console.log(`  start ${r + 1} ${p.name.padEnd(6)} first relayed message after ${fmt(t.firstRelayMs)} ms`
        + (cold.cold_handshakes_per_s != null ? `, then ${fmt(cold.cold_handshakes_per_s)} handshakes/s for ${opts.coldHandshakes} s (${fmt(cold.cold_cpu_ms_per_handshake, 2)} CPU ms each)` : ''));
      await stop(t.child);
    }
  }

  // Fresh processes: memory per idle proxied session.
  const memory = [];
  for (let r = 0; r < opts.memoryRounds; r++) {
    for (const p of proxies) {
      const t = await p.start();
      starts.push({ round: `memory ${r + 1}`, target: p.name, first_relay_ms: round(t.firstRelayMs) });
      await sleep(2000);
      const heap0 = t.jvm ? heapAfterGcKiB(t.child.pid) : null;
      await sleep(500);
      const rss0 = rssKiB(t.pids());
      const held = await client.call('hold', { url: t.url, count: opts.sessions, parallel: 50 });
      await sleep(2000);
      const heap1 = t.jvm ? heapAfterGcKiB(t.child.pid) : null;
      // What the heap holds per session: the classes with the most bytes, divided by the sessions.
      const histogram = t.jvm ? classHistogram(t.child.pid, held.open) : null;
      await sleep(500);
      const rss1 = rssKiB(t.pids());
      const released = await client.call('release', {});
      const m = {
        round: r + 1,
        target: p.name,
        sessions: held.open,
        failed: held.failed,
        first_error: held.firstError,
        still_open_at_release: released.stillOpen,
        rss_before_kib: rss0,
        rss_after_kib: rss1,
        rss_per_session_kb: held.open ? round(((rss1 - rss0) * 1024) / held.open / 1000, 1) : null,
        heap_before_kib: heap0,
        heap_after_kib: heap1,
        heap_per_session_kb: t.jvm && held.open ? round(((heap1 - heap0) * 1024) / held.open / 1000, 1) : null,
        heap_histogram_top: histogram,
      };
      memory.push(m);
      console.log(`  memory ${r + 1} ${p.name.padEnd(6)} ${held.open} sessions (${held.failed} failed): RSS ${fmt(rss0 / 1024)} → ${fmt(rss1 / 1024)} MiB, ` +
        `${m.rss_per_session_kb} KB/session` + (t.jvm ? `; heap after GC ${fmt(heap0 / 1024)} → ${fmt(heap1 / 1024)} MiB, ${m.heap_per_session_kb} KB/session` : ''));
      await stop(t.child);
    }
  }

  await stop(client.child);
  await stop(backendChild);

  // ------------------------------------------------------------------ medians, ratios, table
  const med = {};
  for (const w of workloads) {
    med[w.name] = {};
    for (const name of targetNames) {
      const rs = runs.filter((x) => x.workload === w.name && x.target === name);
      const pick = (f) => median(rs.map(f));
      med[w.name][name] = {
        rate: round(pick((x) => x.rate)),
        p50_us: w.kind === 'echo' ? pick((x) => x.p50_us) : null,
        p99_us: w.kind === 'echo' ? pick((x) => x.p99_us) : null,
        p999_us: w.kind === 'echo' ? pick((x) => x.p999_us) : null,
        errors: rs.reduce((a, x) => a + (x.errors || 0), 0),
        client_cpu_pct: pick((x) => x.cpu && x.cpu.client_pct),
        backend_cpu_pct: pick((x) => x.cpu && x.cpu.backend_pct),
        target_cpu_pct: pick((x) => x.cpu && x.cpu.target_pct),
        target_cpu_ms_per_handshake: pick((x) => x.target_cpu_ms_per_handshake),
      };
    }
  }
  const memMed = {};
  const startMed = {};
  const coldMed = {};
  const coldCpuMed = {};
  for (const p of proxies) {
    const ms = memory.filter((x) => x.target === p.name);
    memMed[p.name] = {
      rss_per_session_kb: median(ms.map((x) => x.rss_per_session_kb)),
      heap_per_session_kb: median(ms.map((x) => x.heap_per_session_kb)),
    };
    startMed[p.name] = median(starts.filter((x) => x.target === p.name).map((x) => x.first_relay_ms));
    coldMed[p.name] = median(starts.filter((x) => x.target === p.name && x.cold_handshakes_per_s != null).map((x) => x.cold_handshakes_per_s));
    coldCpuMed[p.name] = median(starts.filter((x) => x.target === p.name && x.cold_cpu_ms_per_handshake != null).map((x) => x.cold_cpu_ms_per_handshake));
  }

  const has = (n) => targetNames.includes(n);
  const rows = [];
  const cols = ['workload (medians)', ...targetNames];
  const ratioCols = [];
  if (has('wsgate') && has('direct')) ratioCols.push(['wsgate/direct', 'wsgate', 'direct']);
  if (has('nginx') && has('direct')) ratioCols.push(['nginx/direct', 'nginx', 'direct']);
  if (has('wsgate') && has('nginx')) ratioCols.push(['wsgate/nginx', 'wsgate', 'nginx']);
  if (has('wsgate') && has('scg')) ratioCols.push(['wsgate/scg', 'wsgate', 'scg']);
  if (has('wsgate') && has('reactor-netty')) ratioCols.push(['wsgate/reactor-netty', 'wsgate', 'reactor-netty']);
  if (has('reactor-netty') && has('nginx')) ratioCols.push(['reactor-netty/nginx', 'reactor-netty', 'nginx']);
  if (has('wsgate-b') && has('wsgate')) ratioCols.push(['wsgate-b/wsgate', 'wsgate-b', 'wsgate']);
  cols.push(...ratioCols.map((c) => c[0]));
  const ratios = {};
  for (const w of workloads) {
    const m = med[w.name];
    const metrics = w.kind === 'echo'
      ? [['msg/s', 'rate', true], ['p50 µs', 'p50_us', false], ['p99 µs', 'p99_us', false], ['p99.9 µs', 'p999_us', false]]
      : [['handshakes/s', 'rate', true], ['CPU ms/handshake', 'target_cpu_ms_per_handshake', false]];
    for (const [label, key, isRate] of metrics) {
      const row = [`${w.name} ${label}`, ...targetNames.map((n) => fmt(m[n][key], key === 'target_cpu_ms_per_handshake' ? 2 : 0))];
      for (const [colName, a, b] of ratioCols) {
        const rv = ratio(m[a][key], m[b][key]);
        row.push(isRate && rv != null ? fmt(rv, 2) : '');
        if (isRate) (ratios[w.name] = ratios[w.name] || {})[colName] = round(rv, 3);
      }
      rows.push(row);
    }
  }
  const proxyRow = (label, values, digits, rcols = true) => {
    const row = [label, ...targetNames.map((n) => (n === 'direct' ? '' : fmt(values[n], digits)))];
    for (const [, a, b] of ratioCols) row.push(rcols && a !== 'direct' && b !== 'direct' ? fmt(ratio(values[a], values[b]), 2) : '');
    return row;
  };
  if (proxies.length) {
    rows.push(proxyRow(`RSS KB/idle session at ${opts.sessions}`, Object.fromEntries(proxies.map((p) => [p.name, memMed[p.name].rss_per_session_kb])), 1));
    // What 100,000 idle sessions would add, from the measured cost per session (KB = 1,000 bytes; GiB = 1,024³ bytes).
    const gib = (kb) => (kb == null ? null : (kb * 1000 * 100000) / 1024 ** 3);
    rows.push(proxyRow('RSS for 100,000 idle sessions, GiB (extrapolated)', Object.fromEntries(proxies.map((p) => [p.name, gib(memMed[p.name].rss_per_session_kb)])), 2));
    if (has('wsgate')) {
      const heap = Object.fromEntries(proxies.filter((p) => p.name !== 'nginx').map((p) => [p.name, memMed[p.name].heap_per_session_kb]));
      rows.push(proxyRow('heap KB/idle session (after GC)', heap, 1, false));
    }
    rows.push(proxyRow('start to first relayed msg, ms', startMed, 0));
    if (opts.coldHandshakes) {
      rows.push(proxyRow(`cold handshakes/s (first ${opts.coldHandshakes} s)`, coldMed, 0));
      rows.push(proxyRow('cold CPU ms/handshake', coldCpuMed, 2, false));
    }
  }
  console.log('');
  printTable(rows, cols);

  // The load client's and the backend's ceilings: their CPU on the direct runs (Node.js: one core = 100%).
  const ceilings = {};
  if (has('direct')) {
    console.log('\nceilings on the direct runs (CPU, % of one core; the Node.js client and backend each run on one thread):');
    for (const w of workloads) {
      const m = med[w.name].direct;
      ceilings[w.name] = { client_cpu_pct: m.client_cpu_pct, backend_cpu_pct: m.backend_cpu_pct };
      console.log(`  ${w.name.padEnd(15)} client ${fmt(m.client_cpu_pct)}%  backend ${fmt(m.backend_cpu_pct)}%`);
    }
  }

  // The issue's targets.
  const targets = [];
  if (has('wsgate') && has('nginx')) {
    const check = (name, met, detail) => targets.push({ name, met, detail });
    for (const wn of ['echo-50c-32B', 'echo-50c-16KiB', 'handshakes-20']) {
      if (!med[wn]) continue;
      const rv = ratio(med[wn].wsgate.rate, med[wn].nginx.rate);
      check(`${wn}: rate ≥ 1.0× nginx`, rv != null && rv >= 1.0, `${fmt(rv, 2)}×`);
    }
    for (const wn of ['echo-1c-32B', 'echo-1c-16KiB']) {
      if (!med[wn] || !has('direct')) continue;
      const addW = med[wn].wsgate.p99_us - med[wn].direct.p99_us;
      const addN = med[wn].nginx.p99_us - med[wn].direct.p99_us;
      check(`${wn}: added p99 ≤ nginx's + 100 µs`, addW <= addN + 100, `wsgate +${fmt(addW)} µs, nginx +${fmt(addN)} µs`);
    }
    if (coldMed.wsgate != null && coldMed.nginx != null) {
      const rv = ratio(coldMed.wsgate, coldMed.nginx);
      check(`cold handshakes (first ${opts.coldHandshakes} s of a fresh process) ≥ 0.8× nginx`, rv >= 0.8, `${fmt(rv, 2)}×`);
    }
    if (memMed.wsgate.rss_per_session_kb != null) {
      check(`RSS per idle session at ${opts.sessions} ≤ nginx's`, memMed.wsgate.rss_per_session_kb <= memMed.nginx.rss_per_session_kb,
        `${fmt(memMed.wsgate.rss_per_session_kb, 1)} KB vs ${fmt(memMed.nginx.rss_per_session_kb, 1)} KB`);
    }
  }
  if (has('wsgate') && startMed.wsgate != null) {
    targets.push({ name: 'first relayed message ≤ 2 s after process start', met: startMed.wsgate <= 2000, detail: `${fmt(startMed.wsgate)} ms` });
  }
  if (targets.length) {
    console.log('\ntargets (issue 14):');
    for (const t of targets) console.log(`  ${t.met ? 'met    ' : 'NOT met'}  ${t.name}: ${t.detail}`);
  }
  const errors = runs.reduce((a, x) => a + (x.errors || 0), 0);
  if (errors) console.log(`\nWARNING: ${errors} replies were wrong or missing (see "errors" in the JSON)`);

  const report = {
    date: new Date().toISOString(),
    machine: {
      cores: os.cpus().length,
      cpu: os.cpus()[0] && os.cpus()[0].model,
      memory_mib: Math.round(os.totalmem() / 1048576),
      kernel: os.release(),
      open_files: nofile,
      loadavg_at_start: loadAtStart,
      loadavg_at_end: os.loadavg().map((x) => round(x, 2)),
    },
    versions: {
      node: process.version,
      ws: require('ws/package.json').version,
      java: gatewayJavaVersion,
      nginx: proxies.find((p) => p.name === 'nginx') ? proxies.find((p) => p.name === 'nginx').version : null,
      jar: path.basename(opts.jar),
    },
    options: { ...opts, jar: path.relative(REPO, opts.jar), plainJar: path.relative(REPO, opts.plainJar), image: opts.image && path.relative(REPO, opts.image), out: undefined },
    notes,
    medians: med,
    ratios,
    memory_medians: memMed,
    first_relay_ms_medians: startMed,
    cold_handshakes_per_s_medians: coldMed,
    cold_cpu_ms_per_handshake_medians: coldCpuMed,
    ceilings_direct: ceilings,
    targets,
    runs,
    starts,
    memory,
    profile,
    profiles_of_other_targets: otherProfiles,
  };
  fs.writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
  console.log(`\nJSON: ${path.relative(process.cwd(), out)}`);
}


process.on('SIGINT', () => { stopAllSync(); process.exit(130); });
process.on('SIGTERM', () => { stopAllSync(); process.exit(143); });
main().then(() => process.exit(0), (e) => {
  console.error(e && e.stack ? e.stack : e);
  stopAllSync();
  process.exit(1);
});
