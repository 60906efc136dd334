// The API served for real by the appliance: HTTPS with the self-signed certificate it made (the client trusts
// exactly that certificate), HSTS, the setup link logged; the live event stream over a socket receives an attack
// event published on the attack bus; a client that stops reading is dropped at the queue bound; plain HTTP
// beyond loopback is refused without stopping the appliance.
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { sampleAttack } from '@breakwater/sdk/testing';
import { pino } from 'pino';
import { Appliance } from '../../src/appliance.js';
import { LiveEventHub } from '../../src/api/event-hub.js';
import { loggerOptions } from '../../src/log.js';
import { freeUdpPort, harnessConfig } from './support/api-harness.js';

function capturingLogger() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      for (const l of String(chunk).split('\n')) if (l !== '') lines.push(JSON.parse(l) as Record<string, unknown>);
      done();
    },
  });
  return { log: pino(loggerOptions('info'), stream), lines };
}

async function withAppliance(api: Record<string, unknown>, run: (a: Appliance, dataDir: string, lines: Record<string, unknown>[]) => Promise<void>) {
  const dataDir = mkdtempSync(join(tmpdir(), 'bwt-api-srv-'));
  const { log, lines } = capturingLogger();
  const appliance = new Appliance({ config: harnessConfig(dataDir, await freeUdpPort(), { api: { enabled: true, listen: '127.0.0.1:0', ...api } }), log });
  await appliance.start();
  try {
    await run(appliance, dataDir, lines);
  } finally {
    await appliance.stop(5_000);
    rmSync(dataDir, { recursive: true, force: true });
  }
}

test('HTTPS with the self-signed certificate made in DATADIR/tls, HSTS, and the setup link logged once', async () => {
  await withAppliance({ tls: { mode: 'auto' } }, async (appliance, dataDir, lines) => {
    const api = appliance.api!;
    assert.equal(api.failure, undefined, api.failure?.message);
    const ca = readFileSync(join(dataDir, 'tls', 'panel.crt'), 'utf8');
    const res = await new Promise<IncomingMessage & { body: string }>((resolve, reject) => {
      const req = httpsRequest({ host: '127.0.0.1', port: api.port, path: '/api/v1/setup/status', ca, servername: 'localhost' }, (r) => {
        let body = '';
        r.on('data', (c: Buffer) => (body += c));
        r.on('end', () => resolve(Object.assign(r, { body })));
      });
      req.on('error', reject);
      req.end();
    });
    assert.equal(res.statusCode, 200);
    assert.deepEqual(JSON.parse(res.body), { setupRequired: true });
    assert.equal(res.headers['strict-transport-security'], 'max-age=31536000');
    // rejectUnauthorized is on: the answer above came over a certificate verified against the one in DATADIR/tls;
    // without it as the trust anchor, the same request is refused.
    const untrusted = await new Promise<Error>((resolve) => {
      const req = httpsRequest({ host: '127.0.0.1', port: api.port, path: '/api/v1/setup/status', servername: 'localhost' }, () => resolve(new Error('accepted')));
      req.on('error', resolve);
      req.end();
    });
    assert.match((untrusted as NodeJS.ErrnoException).code ?? '', /SELF_SIGNED|UNABLE_TO_VERIFY/);
    const token = readFileSync(join(dataDir, 'setup-token'), 'utf8').trim();
    const setupLines = lines.filter((l) => typeof l.setupUrl === 'string');
    assert.equal(setupLines.length, 1);
    assert.equal(setupLines[0]!.setupUrl, `https://127.0.0.1:${api.port}/setup?token=${token}`);
    const health = appliance.api!.report();
    assert.equal(health.status, 'listening');
  });
});

test('the live stream over a socket receives an attack event published on the attack bus', async () => {
  await withAppliance({ tls: { mode: 'off' } }, async (appliance) => {
    const api = appliance.api!;
    const { secret } = api.core!.tokens.create({ name: 'stream', role: 'viewer', createdBy: 'test' }, Date.now())!;
    const received = await new Promise<string>((resolve, reject) => {
      const req = httpRequest({ host: '127.0.0.1', port: api.port, path: '/api/v1/events', headers: { authorization: `Bearer ${secret}` } }, (res) => {
        assert.equal(res.statusCode, 200);
        assert.match(String(res.headers['content-type']), /^text\/event-stream/);
        assert.equal(res.headers['x-frame-options'], 'DENY');
        let text = '';
        res.on('data', (chunk: Buffer) => {
          text += chunk;
          if (text.includes(': connected') && !text.includes('event: attack')) {
            appliance.bus.publish({ type: 'attack.started', attack: sampleAttack({ id: 'attack-sse-1', startedAt: Date.now(), updatedAt: Date.now() }) });
          }
          if (text.includes('event: attack') && text.endsWith('\n\n')) {
            req.destroy();
            resolve(text);
          }
        });
      });
      req.on('error', reject);
      req.setTimeout(10_000, () => reject(new Error('no attack event within 10 s')));
      req.end();
    });
    const block = received.split('\n\n').find((b) => b.includes('event: attack'))!;
    const data = JSON.parse(block.split('\n').find((l) => l.startsWith('data: '))!.slice(6)) as { type: string; attack: { id: string } };
    assert.deepEqual([data.type, data.attack.id], ['attack.started', 'attack-sse-1']);
    // Unauthenticated: refused before any stream starts.
    const status = await new Promise<number>((resolve) => httpRequest({ host: '127.0.0.1', port: api.port, path: '/api/v1/events' }, (r) => (r.resume(), resolve(r.statusCode!))).end());
    assert.equal(status, 401);
  });
});

test('plain HTTP beyond loopback is refused (BW_ERR_API_INSECURE) and the appliance runs on', async () => {
  await withAppliance({ listen: '0.0.0.0:0', tls: { mode: 'off' } }, async (appliance, _dir, lines) => {
    assert.equal(appliance.api!.failure?.code, 'BW_ERR_API_INSECURE');
    assert.equal(appliance.api!.report().status, 'failed');
    assert.ok(lines.some((l) => l.code === 'BW_ERR_API_INSECURE' && l.level === 'error'));
    assert.equal(appliance.mitigation.report().mode, 'detect-only');
  });
});

test('a stream client that stops reading is dropped when its queue is full; others keep receiving', () => {
  const hub = new LiveEventHub({ queueLimit: 8, heartbeatSeconds: 3600 });
  class FakeResponse extends EventEmitter {
    written: string[] = [];
    destroyed = false;
    constructor(private readonly stalls: boolean) {
      super();
    }
    writeHead() {
      return this;
    }
    write(text: string) {
      this.written.push(text);
      return !this.stalls;
    }
    end() {}
    destroy() {
      this.destroyed = true;
    }
  }
  const slow = new FakeResponse(true);
  const fast = new FakeResponse(false);
  hub.attach(slow as unknown as ServerResponse, {});
  hub.attach(fast as unknown as ServerResponse, {});
  for (let i = 0; i < 20; i++) hub.publish('traffic', { t: i });
  assert.equal(slow.destroyed, true);
  assert.equal(hub.droppedClients, 1);
  assert.equal(hub.clients, 1);
  assert.equal(fast.written.filter((w) => w.includes('event: traffic')).length, 20);
  // The slow one got its first write and at most queueLimit queued, never more.
  assert.ok(slow.written.length <= 2);
  hub.stop();
});
