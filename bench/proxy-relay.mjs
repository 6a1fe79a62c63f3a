// The least a proxy can be, for the latency benches' reference line: a TCP
// relay that pipes the bytes of each connection to the upstream and back,
// with no HTTP parsing, no routing, nothing else (one upstream connection
// per client connection, Nagle off both ways). What it adds over direct
// is what the extra hop costs on the machine's cores and loopback, before
// any proxy does any work.
//
//   node bench/proxy-relay.mjs http://127.0.0.1:PORT
//
// Listens on 127.0.0.1:0 and prints one JSON line `{"port":N}` on stdout.
import { connect, createServer } from "node:net";

const origin = process.argv[2];
if (origin === undefined) {
  process.stderr.write("usage: node bench/proxy-relay.mjs <upstream origin>\n");
  process.exit(2);
}
const { hostname, port } = new URL(origin);

const server = createServer((client) => {
  const upstream = connect(Number(port), hostname);
  client.setNoDelay(true);
  upstream.setNoDelay(true);
  client.pipe(upstream).pipe(client);
  const close = () => {
    client.destroy();
    upstream.destroy();
  };
  client.on("error", close).on("close", close);
  upstream.on("error", close).on("close", close);
});
server.listen(0, "127.0.0.1", () => process.stdout.write(JSON.stringify({ port: server.address().port }) + "\n"));
process.on("SIGTERM", () => process.exit(0));
