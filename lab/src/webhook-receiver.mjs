// The lab's notification endpoint: an HTTP server on loopback (inside the appliance namespace) that takes the
// webhook notifier's posts and prints each one as a JSON line on stdout: {"at": ms, "headers": {...}, "body": {...}}.
// Prints "listening PORT" once bound. Answers 204 to every post; anything else 404.
import { createServer } from 'node:http';

const port = Number(process.argv[2] ?? 0);
const server = createServer((req, res) => {
  if (req.method !== 'POST') {
    res.writeHead(404).end();
    return;
  }
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const text = Buffer.concat(chunks).toString('utf8');
    let body;
    try {
      body = JSON.parse(text);
    } catch {
      body = { unparsed: text.slice(0, 1000) };
    }
    const headers = Object.fromEntries(Object.entries(req.headers).filter(([k]) => k.startsWith('x-breakwater') || k === 'content-type'));
    process.stdout.write(`${JSON.stringify({ at: Date.now(), path: req.url, headers, body })}\n`);
    res.writeHead(204).end();
  });
});
server.listen(port, '127.0.0.1', () => process.stdout.write(`listening ${server.address().port}\n`));
for (const s of ['SIGINT', 'SIGTERM']) process.once(s, () => server.close(() => process.exit(0)));
