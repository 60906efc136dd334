// Sends COUNT UDP datagrams of SIZE payload bytes from SPORT to HOST:DPORT, each after the previous one left
// (the send callback), so a run is bounded and nothing is lost in the sender itself. Run inside a namespace with
// `ip netns exec`. Prints the number sent.
import dgram from 'node:dgram';
const [host, dport, sport, count, size] = process.argv.slice(2);
const socket = dgram.createSocket(host.includes(':') ? 'udp6' : 'udp4');
socket.bind(Number(sport), () => {
  const payload = Buffer.alloc(Number(size), 0x42);
  let sent = 0;
  const next = () => {
    if (sent === Number(count)) {
      process.stdout.write(`${sent}\n`);
      socket.close();
      return;
    }
    sent++;
    socket.send(payload, Number(dport), host, next);
  };
  next();
});
