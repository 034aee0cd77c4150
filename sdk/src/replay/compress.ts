// gzip for segment bodies, off the main thread where the browser allows: a Web Worker
// made from a Blob URL running CompressionStream. A CSP without `worker-src blob:` (or a
// browser without workers) falls back to CompressionStream on the main thread (the
// compression itself still runs natively), then to fflate; `gzipNow` is the synchronous
// path for page hide, when there is no time to wait for a worker.

import { gzipSync } from 'fflate';

export interface Compressor {
  /** One complete gzip member of the UTF-8 text. */
  gzip(text: string): Promise<Uint8Array>;
  /** 'worker', 'stream' (main-thread CompressionStream) or 'fflate': what is in use now. */
  mode(): 'worker' | 'stream' | 'fflate';
  close(): void;
}

export function gzipNow(text: string): Uint8Array {
  return gzipSync(new TextEncoder().encode(text), { level: 6, mtime: 0 });
}

const WORKER_SOURCE = `onmessage=async(e)=>{const{id,text}=e.data;try{const s=new Blob([text]).stream().pipeThrough(new CompressionStream('gzip'));const b=new Uint8Array(await new Response(s).arrayBuffer());postMessage({id,bytes:b},[b.buffer])}catch(err){postMessage({id,error:String(err)})}}`;

async function streamGzip(text: string): Promise<Uint8Array> {
  const stream = new Blob([text]).stream().pipeThrough(new CompressionStream('gzip'));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

function hasCompressionStream(): boolean {
  return typeof CompressionStream !== 'undefined' && typeof Blob !== 'undefined' && typeof Response !== 'undefined';
}

interface Job {
  resolve(bytes: Uint8Array): void;
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
  let mode: 'worker' | 'stream' | 'fflate' = hasCompressionStream() ? 'stream' : 'fflate';

  const dropWorker = (reason: string): void => {
    if (worker) worker.terminate();
    worker = null;
    if (url) URL.revokeObjectURL(url);
    url = null;
    mode = hasCompressionStream() ? 'stream' : 'fflate';
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
      mode = 'worker';
      worker.onmessage = (e: MessageEvent<{ id: number; bytes?: Uint8Array; error?: string }>) => {
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

  const onMainThread = async (text: string): Promise<Uint8Array> => {
    if (hasCompressionStream()) {
      try {
        return await streamGzip(text);
      } catch {
        mode = 'fflate';
      }
    }
    return gzipNow(text);
  };

  return {
    mode: () => mode,
    async gzip(text) {
      if (!worker) return onMainThread(text);
      const w = worker;
      try {
        return await new Promise<Uint8Array>((resolve, reject) => {
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
        return onMainThread(text);
      }
    },
    close() {
      dropWorker('closed');
    },
  };
}
