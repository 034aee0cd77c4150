// The S3 object store: any S3-compatible service (AWS S3, MinIO, Ceph, R2, ...) through
// @aws-sdk/client-s3. Retries are few and every call has a deadline, so a store that is
// down becomes a quick StoreUnavailableError (503 upstream) instead of a hanging request.

import {
  CreateBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import type { S3ClientConfig } from '@aws-sdk/client-s3';
import { ConfigError } from '../config.ts';
import type { ReceiverConfig } from '../config.ts';
import { InvalidObjectKeyError, checkObjectKey, checkPrefix, checkRange } from './object-key-check.ts';
import type { ObjectStore } from './object-store.ts';
import { ObjectNotFoundError, StoreUnavailableError } from './object-store.ts';

type S3Settings = ReceiverConfig['storage']['s3'];

/**
 * The `storage.s3` settings (bucket, region, endpoint, forcePathStyle, credentials — both
 * null = the SDK's default chain — and a key prefix, given a trailing '/' when missing),
 * plus tuning knobs for tests.
 */
export interface S3StoreOptions extends Omit<S3Settings, 'maxAttempts' | 'requestTimeoutMs'> {
  /** Attempts per call including the first (SDK retries with backoff). Default 2. */
  maxAttempts?: number;
  /** Deadline of one HTTP attempt. Default 3000. */
  requestTimeoutMs?: number;
  /** Deadline to open a connection. Default 2000. */
  connectionTimeoutMs?: number;
  /** Keys per LIST page (tests); default is the store's own (1000 on AWS). */
  listPageSize?: number;
}

interface SdkError {
  name?: string;
  message?: string;
  Code?: string;
  $metadata?: { httpStatusCode?: number };
}

function sdkError(err: unknown): SdkError {
  return typeof err === 'object' && err !== null ? (err as SdkError) : {};
}

function httpStatus(err: unknown): number | undefined {
  return sdkError(err).$metadata?.httpStatusCode;
}

export class S3Store implements ObjectStore {
  readonly description: string;
  readonly bucket: string;
  private readonly keyPrefix: string;
  private readonly client: S3Client;
  /** Whole-call deadline: all attempts plus backoff, so nothing waits longer than this. */
  private readonly callTimeoutMs: number;
  private readonly listPageSize: number | undefined;

  constructor(options: S3StoreOptions) {
    this.bucket = options.bucket;
    this.keyPrefix = options.prefix && !options.prefix.endsWith('/') ? `${options.prefix}/` : options.prefix;
    if (this.keyPrefix) checkPrefix(this.keyPrefix);
    this.listPageSize = options.listPageSize;
    const maxAttempts = options.maxAttempts ?? 2;
    const requestTimeout = options.requestTimeoutMs ?? 3000;
    const connectionTimeout = options.connectionTimeoutMs ?? 2000;
    this.callTimeoutMs = maxAttempts * (requestTimeout + connectionTimeout) + 1000;
    this.description = `s3:${options.endpoint ?? `aws/${options.region}`}/${options.bucket}${this.keyPrefix ? `/${this.keyPrefix}` : ''}`;
    if ((options.accessKeyId === null) !== (options.secretAccessKey === null)) {
      throw new ConfigError('S3 store: set both storage.s3.accessKeyId and storage.s3.secretAccessKey, or neither to use the default AWS credential chain');
    }
    const config: S3ClientConfig = {
      region: options.region,
      forcePathStyle: options.forcePathStyle,
      maxAttempts,
      // Many S3-compatible stores reject the newer default CRC32 checksum headers.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      // Without throwOnRequestTimeout the handler only logs a warning and keeps waiting.
      requestHandler: { requestTimeout, connectionTimeout, throwOnRequestTimeout: true },
    };
    if (options.endpoint) config.endpoint = options.endpoint;
    if (options.accessKeyId !== null && options.secretAccessKey !== null) {
      config.credentials = { accessKeyId: options.accessKeyId, secretAccessKey: options.secretAccessKey };
    }
    this.client = new S3Client(config);
  }

  private fullKey(key: string): string {
    return this.keyPrefix + checkObjectKey(key);
  }

  private where(key?: string): string {
    return key === undefined ? `bucket ${this.bucket}` : `${this.bucket}/${this.keyPrefix}${key}`;
  }

  private unavailable(action: string, key: string | undefined, err: unknown): StoreUnavailableError {
    const e = sdkError(err);
    const status = httpStatus(err);
    const what = `${e.name ?? 'Error'}${status ? ` (HTTP ${status})` : ''}: ${e.message ?? String(err)}`;
    return new StoreUnavailableError(`S3 store: ${action} ${this.where(key)} failed: ${what}; check that the store is reachable and the bucket and credentials are right`, { cause: err });
  }

  private signal(): AbortSignal {
    return AbortSignal.timeout(this.callTimeoutMs);
  }

  private isNotFound(err: unknown): boolean {
    const e = sdkError(err);
    return e.name === 'NoSuchKey' || e.Code === 'NoSuchKey' || (httpStatus(err) === 404 && e.name !== 'NoSuchBucket');
  }

  async put(key: string, bytes: Uint8Array): Promise<void> {
    const fullKey = this.fullKey(key);
    try {
      await this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key: fullKey, Body: bytes, ContentLength: bytes.length, ContentType: 'application/octet-stream' }), { abortSignal: this.signal() });
    } catch (err) {
      throw this.unavailable('PUT', key, err);
    }
  }

  async getRange(key: string, offset: number, length: number): Promise<Uint8Array> {
    checkRange(key, offset, length);
    const fullKey = this.fullKey(key);
    // 'bytes=a-(a-1)' is not a valid range; an empty read needs no request.
    if (length === 0) return new Uint8Array(0);
    const bytes = await this.read(key, fullKey, `bytes=${offset}-${offset + length - 1}`);
    if (bytes.length !== length) {
      throw new RangeError(`object ${this.where(key)} returned ${bytes.length} bytes for range ${offset}+${length}; the index points past the object, which suggests a truncated or replaced object`);
    }
    return bytes;
  }

  async get(key: string): Promise<Uint8Array> {
    return this.read(key, this.fullKey(key), undefined);
  }

  private async read(key: string, fullKey: string, range: string | undefined): Promise<Uint8Array> {
    try {
      const res = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: fullKey, Range: range }), { abortSignal: this.signal() });
      if (!res.Body) throw new Error('response has no body');
      return await res.Body.transformToByteArray();
    } catch (err) {
      if (this.isNotFound(err)) throw new ObjectNotFoundError(`object ${this.where(key)} does not exist`, { cause: err });
      if (httpStatus(err) === 416) throw new RangeError(`range ${range} of object ${this.where(key)} lies beyond its end`, { cause: err });
      throw this.unavailable('GET', key, err);
    }
  }

  async delete(key: string): Promise<void> {
    const fullKey = this.fullKey(key);
    try {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: fullKey }), { abortSignal: this.signal() });
    } catch (err) {
      if (this.isNotFound(err)) return;
      throw this.unavailable('DELETE', key, err);
    }
  }

  async list(prefix: string): Promise<string[]> {
    checkPrefix(prefix);
    const keys: string[] = [];
    let token: string | undefined;
    // Pages are bounded by the store; each call lists up to 1000 keys.
    do {
      let res;
      try {
        res = await this.client.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: this.keyPrefix + prefix, ContinuationToken: token, MaxKeys: this.listPageSize }), { abortSignal: this.signal() });
      } catch (err) {
        throw this.unavailable('LIST', `${prefix}*`, err);
      }
      for (const o of res.Contents ?? []) {
        if (o.Key?.startsWith(this.keyPrefix)) keys.push(o.Key.slice(this.keyPrefix.length));
      }
      token = res.IsTruncated ? res.NextContinuationToken : undefined;
    } while (token);
    return keys.sort();
  }

  async listChildren(prefix: string): Promise<string[]> {
    checkPrefix(prefix);
    if (prefix !== '' && !prefix.endsWith('/')) throw new InvalidObjectKeyError(`object prefix ${JSON.stringify(prefix)} must end with '/' to list what is below it`);
    const base = this.keyPrefix + prefix;
    const names = new Set<string>();
    let token: string | undefined;
    do {
      let res;
      try {
        res = await this.client.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: base, Delimiter: '/', ContinuationToken: token, MaxKeys: this.listPageSize }), { abortSignal: this.signal() });
      } catch (err) {
        throw this.unavailable('LIST', `${prefix}*/`, err);
      }
      for (const p of res.CommonPrefixes ?? []) if (p.Prefix?.startsWith(base)) names.add(p.Prefix.slice(base.length).replace(/\/$/, ''));
      for (const o of res.Contents ?? []) if (o.Key?.startsWith(base)) names.add(o.Key.slice(base.length));
      token = res.IsTruncated ? res.NextContinuationToken : undefined;
    } while (token);
    return [...names].filter((n) => n.length > 0).sort();
  }

  async ping(): Promise<void> {
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: this.bucket }), { abortSignal: this.signal() });
    } catch (err) {
      if (httpStatus(err) === 404) throw new StoreUnavailableError(`S3 store: bucket ${this.bucket} does not exist; create it or set storage.s3.bucket`, { cause: err });
      throw this.unavailable('HEAD', undefined, err);
    }
  }

  /** Creates the bucket when it does not exist (embedded setups and tests). */
  async createBucketIfMissing(): Promise<void> {
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: this.bucket }), { abortSignal: this.signal() });
      return;
    } catch (err) {
      if (httpStatus(err) !== 404) throw this.unavailable('HEAD', undefined, err);
    }
    try {
      await this.client.send(new CreateBucketCommand({ Bucket: this.bucket }), { abortSignal: this.signal() });
    } catch (err) {
      const name = sdkError(err).name;
      if (name === 'BucketAlreadyOwnedByYou') return;
      throw this.unavailable('CREATE', undefined, err);
    }
  }

  async close(): Promise<void> {
    this.client.destroy();
  }
}
