// The load client of bench/api: CONCURRENCY keep-alive connections asking the dashboard endpoints in turn for
// SECONDS (bounded), timing every answer, and one live-stream (SSE) client timing each `traffic` event from the
// moment the appliance sampled it (its `t`) to its arrival. Same machine, same clock. Prints one JSON line.
// RATE 0 (closed loop): each connection asks again as soon as it is answered — the API saturated, its latency
// mostly queueing. RATE > 0 (open loop): requests leave on a fixed schedule, RATE per second in all, whatever
// the answers do, and each latency counts from the request's scheduled time, so a stall is charged to every
// request it delayed (no coordinated omission) — what dashboards polling on a timer see.
// The client starts before its phase: once its streams are open it prints `ready` and waits for a `go` line on
// stdin, so its start-up (loading, compiling) is not charged to the phase it measures, nor to the ingest beside it.
// Usage: load.ts BASE_URL TOKEN SECONDS CONCURRENCY [RATE] [STREAMS]
import { Agent, request } from 'node:http';
import { createInterface } from 'node:readline';

const [base = 'http://127.0.0.1:18080', token = '', secondsArg = '10', concurrencyArg = '8', rateArg = '0', streamsArg = '1'] = process.argv.slice(2);
const seconds = Number(secondsArg);
const concurrency = Number(concurrencyArg);
const rate = Number(rateArg);
const streams = Math.max(1, Number(streamsArg));
const ENDPOINTS = ['/api/v1/traffic/summary', '/api/v1/traffic/top?limit=10', '/api/v1/attacks?active=true', '/api/v1/mitigations', '/api/v1/health'];

const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
const cpuAtStart = process.cpuUsage();
const auth = { authorization: `Bearer ${token}` };
const latencies = new Map<string, number[]>(ENDPOINTS.map((e) => [e, []]));
const statuses = new Map<number, number>();
let errors = 0;

function get(path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(`${base}${path}`, { agent, headers: auth }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
      res.on('error', reject);
    });
    req.setTimeout(5000, () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

const sseDelays: number[] = [];
/** Opens one live stream; `settled` runs once, when it answers or fails (a failure is counted in `errors`). */
function openStream(settled: () => void): () => void {
  let done = false;
  const settle = () => {
    if (done) return;
    done = true;
    settled();
  };
  const req = request(`${base}/api/v1/events`, { headers: { ...auth, accept: 'text/event-stream' } }, (res) => {
    settle();
    let buffer = '';
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => {
      buffer += chunk;
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const frame = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const event = /^event: (.*)$/m.exec(frame)?.[1];
        const data = /^data: (.*)$/m.exec(frame)?.[1];
        if (event === 'traffic' && data !== undefined) sseDelays.push(Date.now() - (JSON.parse(data) as { t: number }).t);
      }
    });
  });
  req.on('error', () => {
    errors++;
    settle();
  });
  req.end();
  return () => req.destroy();
}

let closeStreams: (() => void)[] = [];
await new Promise<void>((resolve) => {
  let open = 0;
  closeStreams = Array.from({ length: streams }, () => openStream(() => ++open === streams && resolve()));
});
process.stdout.write('ready\n');
await new Promise<void>((resolve) => createInterface({ input: process.stdin }).once('line', () => resolve()));
const until = performance.now() + seconds * 1000;
let turn = 0;
async function worker(): Promise<void> {
  while (performance.now() < until) {
    const path = ENDPOINTS[turn++ % ENDPOINTS.length]!;
    const started = performance.now();
    try {
      const status = await get(path);
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
      latencies.get(path)!.push(performance.now() - started);
    } catch {
      errors++;
    }
  }
}
/** Open loop: request i leaves at start + i / RATE; bounded by SECONDS like the closed loop. */
async function scheduled(): Promise<void> {
  const start = performance.now();
  const inFlight: Promise<void>[] = [];
  for (let i = 0; ; i++) {
    const at = start + (i * 1000) / rate;
    if (at >= until) break;
    const wait = at - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const path = ENDPOINTS[i % ENDPOINTS.length]!;
    inFlight.push(
      get(path).then(
        (status) => {
          statuses.set(status, (statuses.get(status) ?? 0) + 1);
          latencies.get(path)!.push(performance.now() - at);
        },
        () => void errors++,
      ),
    );
  }
  await Promise.all(inFlight);
}
if (rate > 0) await scheduled();
else await Promise.all(Array.from({ length: concurrency }, () => worker()));
for (const close of closeStreams) close();
agent.destroy();

const pct = (xs: number[], p: number) => {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  return Number(s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!.toFixed(2));
};
const endpoints = Object.fromEntries([...latencies].map(([path, xs]) => [path, { requests: xs.length, p50Ms: pct(xs, 50), p99Ms: pct(xs, 99), maxMs: pct(xs, 100) }]));
const all = [...latencies.values()].flat();
const cpuUsed = process.cpuUsage(cpuAtStart);
process.stdout.write(
  `${JSON.stringify({
    seconds,
    concurrency,
    streams,
    mode: rate > 0 ? `open loop, ${rate} requests/s` : 'closed loop (saturated)',
    requests: all.length,
    requestsPerSecond: Math.round(all.length / seconds),
    errors,
    statuses: Object.fromEntries(statuses),
    p50Ms: pct(all, 50),
    p99Ms: pct(all, 99),
    endpoints,
    sse: { events: sseDelays.length, p50Ms: pct(sseDelays, 50), p99Ms: pct(sseDelays, 99), maxMs: pct(sseDelays, 100) },
    // The client's own CPU over its run, in % of one core (it shares the machine with the appliance).
    cpuPercent: Math.round((cpuUsed.user + cpuUsed.system) / 1e4 / seconds),
  })}\n`,
);
