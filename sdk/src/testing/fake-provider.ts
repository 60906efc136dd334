// A provider's API on loopback for notifier tests: it records every request (method, path, headers, body)
// and answers as the test scripts it, e.g. 429 with Retry-After, then 500, then success, so retry handling
// is exercised without ever contacting the real service. Each test checks the recorded requests against the
// provider's documented API.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  /** Path and query, as received. */
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface FakeAnswer {
  status: number;
  headers?: Record<string, string>;
  /** A string as it is; anything else as JSON (with a JSON content type). */
  body?: unknown;
}

export interface FakeProvider {
  /** http://127.0.0.1:PORT */
  readonly baseUrl: string;
  readonly requests: RecordedRequest[];
  /** Queues answers for the next requests, in order; after them the default answer is used. */
  answer(...answers: FakeAnswer[]): void;
  close(): Promise<void>;
}

/** Starts the server. defaultAnswer is what requests get when nothing is queued (default: 200 "ok"). */
export async function startFakeProvider(defaultAnswer: FakeAnswer | ((request: RecordedRequest) => FakeAnswer) = { status: 200, body: 'ok' }): Promise<FakeProvider> {
  const requests: RecordedRequest[] = [];
  const queue: FakeAnswer[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const recorded: RecordedRequest = { method: req.method ?? '', path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      requests.push(recorded);
      const answer = queue.shift() ?? (typeof defaultAnswer === 'function' ? defaultAnswer(recorded) : defaultAnswer);
      const text = answer.body === undefined ? '' : typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body);
      const type = typeof answer.body === 'string' || answer.body === undefined ? 'text/plain' : 'application/json';
      res.writeHead(answer.status, { 'content-type': type, ...answer.headers });
      res.end(text);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    requests,
    answer: (...answers) => void queue.push(...answers),
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
