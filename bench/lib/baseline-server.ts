// The baseline for bench/ingest.ts: `node bench/lib/baseline-server.ts PORT FILE`.
// The least an ingest endpoint can do: read each POST body, append it to one file, answer
// 200 `{}`. No decoding, no validation, no fsync, no index — an upper bound on what one
// core can accept over HTTP, to put the receiver's figures in proportion.

import http from 'node:http';
import { open } from 'node:fs/promises';

const [portArg, file] = process.argv.slice(2);
if (!portArg || !file) {
  process.stderr.write('usage: node bench/lib/baseline-server.ts PORT FILE\n');
  process.exit(2);
}

const out = await open(file, 'a');
const server = http.createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const answer = () => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': 2 });
      res.end('{}');
    };
    if (req.method !== 'POST') return answer();
    out.appendFile(Buffer.concat(chunks)).then(answer, (err: Error) => {
      res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: `baseline could not append to ${file}: ${err.message}` }));
    });
  });
});
server.keepAliveTimeout = 60_000;
server.listen(Number(portArg), '127.0.0.1', () => process.stdout.write(`listening on 127.0.0.1:${portArg}\n`));

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    server.close();
    server.closeAllConnections();
    void out.close().finally(() => process.exit(0));
  });
}
