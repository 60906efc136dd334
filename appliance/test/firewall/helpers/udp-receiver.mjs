// Counts UDP datagrams arriving on PORT per source port (IPv4, and IPv6 as "v6:<port>"), and TCP connections accepted on PORT+1 and PORT+2 (as
// "tcp:<port>"), and prints the counts as one JSON line whenever a line arrives on stdin (the test asks; no
// timing guesses). Run inside the victim namespace with `ip netns exec`.
import dgram from 'node:dgram';
import net from 'node:net';
import { createInterface } from 'node:readline';
const [port, family] = process.argv.slice(2);
const counts = {};
const socket = dgram.createSocket({ type: family === '6' ? 'udp6' : 'udp4', recvBufferSize: 4 * 1024 * 1024 });
socket.on('message', (_msg, rinfo) => {
  counts[rinfo.port] = (counts[rinfo.port] ?? 0) + 1;
});
// IPv6 datagrams to the same port, counted as "v6:<source port>".
const socket6 = dgram.createSocket({ type: 'udp6', ipv6Only: true, recvBufferSize: 4 * 1024 * 1024 });
socket6.on('message', (_msg, rinfo) => {
  counts[`v6:${rinfo.port}`] = (counts[`v6:${rinfo.port}`] ?? 0) + 1;
});
socket6.bind(Number(port));
for (const p of [Number(port) + 1, Number(port) + 2]) {
  net.createServer((c) => {
    counts[`tcp:${p}`] = (counts[`tcp:${p}`] ?? 0) + 1;
    c.end();
  }).listen(p);
}
socket.bind(Number(port), () => process.stdout.write('ready\n'));
createInterface({ input: process.stdin }).on('line', () => process.stdout.write(JSON.stringify(counts) + '\n'));
