// A UDP port on 127.0.0.1 that nothing is bound to right now (bound once by the kernel's choice, then released),
// for tests that start an appliance's sFlow intake.
import { createSocket } from 'node:dgram';

export async function freeUdpPort(): Promise<number> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
  const port = socket.address().port;
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  return port;
}
