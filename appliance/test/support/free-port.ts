// Ports on 127.0.0.1 that nothing is bound to right now (bound once by the kernel's choice, then released), for
// tests that start an appliance: UDP for its sFlow intake, TCP for its health endpoint or API.
import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';

export async function freeUdpPort(): Promise<number> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
  const port = socket.address().port;
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  return port;
}

export async function freeTcpPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}
