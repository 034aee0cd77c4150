// gzip off the main thread: one Web Worker per page, made from a Blob URL and running
// CompressionStream, shared by the recording engine (segment bodies) and the exporter
// (whole OTLP request bodies), so no compression runs in the page's own thread. A CSP
// without `worker-src blob:` (or a browser without workers) falls back to CompressionStream
// on the main thread (the compression itself still runs natively); without
// CompressionStream `gzip` rejects and callers fall back (the engine to fflate, the
// exporter to an uncompressed body). This module is in the eager part and has no
// dependency, so fflate stays in the lazily loaded recorder chunk.

export interface Compressor {
  /** One complete gzip member of the UTF-8 text. */
  gzip(text: string): Promise<Uint8Array<ArrayBuffer>>;
}

const WORKER_SOURCE = `onmessage=async(e)=>{const{id,text}=e.data;try{const s=new Blob([text]).stream().pipeThrough(new CompressionStream('gzip'));const b=new Uint8Array(await new Response(s).arrayBuffer());postMessage({id,bytes:b},[b.buffer])}catch(err){postMessage({id,error:String(err)})}}`;

async function streamGzip(text: string): Promise<Uint8Array<ArrayBuffer>> {
  const stream = new Blob([text]).stream().pipeThrough(new CompressionStream('gzip'));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

function hasCompressionStream(): boolean {
  return typeof CompressionStream !== 'undefined' && typeof Blob !== 'undefined' && typeof Response !== 'undefined';
}

interface Job {
  resolve(bytes: Uint8Array<ArrayBuffer>): void;
  reject(error: Error): void;
  timer: ReturnType<typeof setTimeout>;
}

/** How long a worker may take before we decide it is stuck (CSP blocks show up this way too). */
const WORKER_TIMEOUT_MS = 10_000;

export function createCompressor(options: { useWorker?: boolean } = {}): Compressor {
  let worker: Worker | null = null;
  let url: string | null = null;
  let nextId = 1;
  const jobs = new Map<number, Job>();

  const dropWorker = (reason: string): void => {
    if (worker) worker.terminate();
    worker = null;
    if (url) URL.revokeObjectURL(url);
    url = null;
    for (const job of jobs.values()) {
      clearTimeout(job.timer);
      job.reject(new Error(reason));
    }
    jobs.clear();
  };

  if ((options.useWorker ?? true) && hasCompressionStream() && typeof Worker !== 'undefined' && typeof URL !== 'undefined' && typeof URL.createObjectURL === 'function') {
    try {
      url = URL.createObjectURL(new Blob([WORKER_SOURCE], { type: 'text/javascript' }));
      worker = new Worker(url);
      worker.onmessage = (e: MessageEvent<{ id: number; bytes?: Uint8Array<ArrayBuffer>; error?: string }>) => {
        const job = jobs.get(e.data.id);
        if (!job) return;
        jobs.delete(e.data.id);
        clearTimeout(job.timer);
        if (e.data.bytes) job.resolve(e.data.bytes);
        else job.reject(new Error(e.data.error ?? 'compression failed in the worker'));
      };
      // A CSP that forbids blob: workers fires `error` here rather than throwing above.
      worker.onerror = (e) => {
        e.preventDefault?.();
        dropWorker('the compression worker failed to start (CSP worker-src?)');
      };
    } catch {
      dropWorker('workers are not available');
    }
  }

  return {
    async gzip(text) {
      if (worker) {
        const w = worker;
        try {
          return await new Promise<Uint8Array<ArrayBuffer>>((resolve, reject) => {
            const id = nextId++;
            const timer = setTimeout(() => {
              jobs.delete(id);
              dropWorker('the compression worker did not answer');
              reject(new Error('timeout'));
            }, WORKER_TIMEOUT_MS);
            jobs.set(id, { resolve, reject, timer });
            w.postMessage({ id, text });
          });
        } catch {
          // fall through to the main thread
        }
      }
      return streamGzip(text);
    },
  };
}

let shared: Compressor | null = null;

/** The page's compressor, created on first use and kept for the page's lifetime. */
export function sharedCompressor(): Compressor {
  return (shared ??= createCompressor());
}
