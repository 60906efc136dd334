// Opens COUNT TCP connections to HOST:PORT one after another, each given TIMEOUT ms to complete, and prints how
// many completed. A dropped SYN shows as a timeout. Run inside the attacker namespace with `ip netns exec`.
import net from 'node:net';
const [host, port, count, timeout] = process.argv.slice(2);
let ok = 0;
for (let i = 0; i < Number(count); i++) {
  ok += await new Promise((resolve) => {
    const s = net.connect({ host, port: Number(port) });
    const t = setTimeout(() => { s.destroy(); resolve(0); }, Number(timeout));
    s.once('connect', () => { clearTimeout(t); s.destroy(); resolve(1); });
    s.once('error', () => { clearTimeout(t); resolve(0); });
  });
}
process.stdout.write(`${ok}\n`);
