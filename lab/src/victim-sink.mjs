// The victim's services: UDP sinks (IPv4 and IPv6) on the ports the lab's scenarios aim at and TCP listeners
// on 80 and 443, so attacks meet open sockets the way they would on a real server. Prints "ready" once bound and,
// for every line read on stdin, one JSON line of counts ({"udp": n, "udp6": n, "tcp": accepted}).
import dgram from 'node:dgram';
import net from 'node:net';
import { createInterface } from 'node:readline';

const counts = { udp: 0, udp6: 0, tcp: 0 };
const udp4 = dgram.createSocket({ type: 'udp4', recvBufferSize: 4 * 1024 * 1024 });
udp4.on('message', () => counts.udp++);
const udp6 = dgram.createSocket({ type: 'udp6', ipv6Only: true, recvBufferSize: 4 * 1024 * 1024 });
udp6.on('message', () => counts.udp6++);
udp6.bind(9999);
for (const port of [80, 443]) {
  net.createServer((c) => {
    counts.tcp++;
    c.destroy();
  }).listen({ port, host: '::', backlog: 128 });
}
udp4.bind(9999, () => process.stdout.write('ready\n'));
createInterface({ input: process.stdin }).on('line', () => process.stdout.write(`${JSON.stringify(counts)}\n`));
