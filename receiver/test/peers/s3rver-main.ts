// Child-process entry of the S3 test peer (see s3-server.ts): runs @20minutes/s3rver, an
// S3-compatible server that keeps objects on disk, on 127.0.0.1. Arguments come as one
// JSON argv; the bound port is printed as one JSON line on stdout once it listens.
// The process exits when its parent goes away (stdin closes), so no server outlives a test run.

import { createRequire } from 'node:module';

interface S3rverInstance {
  run(): Promise<{ port: number; address: string }>;
  close(): Promise<void>;
}
type S3rverConstructor = new (options: Record<string, unknown>) => S3rverInstance;

const require = createRequire(import.meta.url);
const S3rver = require('@20minutes/s3rver') as S3rverConstructor;

const args = JSON.parse(process.argv[2] ?? '{}') as { dir?: string; port?: number; bucket?: string };
if (!args.dir || !args.bucket) {
  process.stderr.write('usage: node s3rver-main.ts \'{"dir":"/data","bucket":"name","port":0}\'\n');
  process.exit(2);
}

const server = new S3rver({
  address: '127.0.0.1',
  port: args.port ?? 0,
  directory: args.dir,
  silent: true,
  // The AWS SDK signs for its own host name; the test server cannot know the secret.
  allowMismatchedSignatures: true,
  vhostBuckets: false,
  configureBuckets: [{ name: args.bucket }],
});

const address = await server.run();
process.stdout.write(`${JSON.stringify({ port: address.port })}\n`);

process.stdin.resume();
process.stdin.on('close', () => process.exit(0));
process.on('SIGTERM', () => {
  server.close().finally(() => process.exit(0));
});
