import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { CreateBucketCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';

/**
 * A real S3-compatible server for the tests: the `s3rver` package (an
 * implementation of the S3 REST API over a folder, from the npm registry),
 * started as its own process on 127.0.0.1 with a free port. The server under
 * test talks to it with the AWS SDK exactly as it would talk to S3.
 */

/** Blob stores the backup suites run against; `TEST_BLOB_STORES=file` narrows a run. */
export const BLOB_STORES = (process.env.TEST_BLOB_STORES ?? 'file,s3')
  .split(',')
  .map((s) => s.trim())
  .filter((s): s is 'file' | 's3' => s === 'file' || s === 's3');

/** s3rver's fixed credentials. */
const ACCESS_KEY_ID = 'S3RVER';
const SECRET_ACCESS_KEY = 'S3RVER';
const REGION = 'us-east-1';

export interface S3Server {
  endpoint: string;
  /** A new empty bucket. */
  createBucket(name: string): Promise<void>;
  /** The environment that points `rotki-premium start` at `bucket` on this server. */
  envFor(bucket: string): NodeJS.ProcessEnv;
  /** Keys under `prefix` in `bucket`. */
  listKeys(bucket: string, prefix?: string): Promise<string[]>;
  stop(): Promise<void>;
}

function s3rverBin(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('s3rver/package.json')), 'bin', 's3rver.js');
}

export async function startS3Server(): Promise<S3Server> {
  const directory = mkdtempSync(join(tmpdir(), 'rotki-premium-s3-'));
  const child: ChildProcess = spawn(process.execPath, [s3rverBin(), '--directory', directory, '--address', '127.0.0.1', '--port', '0', '--silent'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`S3 server did not start:\n${output}`)), 30_000);
    child.stdout?.on('data', () => {
      const match = /listening on [\d.]+:(\d+)/.exec(output);
      if (match?.[1] !== undefined) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`S3 server exited with ${code}:\n${output}`));
    });
  });
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new S3Client({
    endpoint,
    region: REGION,
    forcePathStyle: true,
    credentials: { accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET_ACCESS_KEY },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  return {
    endpoint,
    async createBucket(name) {
      await client.send(new CreateBucketCommand({ Bucket: name }));
    },
    envFor(bucket) {
      return {
        ROTKI_PREMIUM_BLOB_STORE: 's3',
        ROTKI_PREMIUM_S3_ENDPOINT: endpoint,
        ROTKI_PREMIUM_S3_BUCKET: bucket,
        ROTKI_PREMIUM_S3_REGION: REGION,
        ROTKI_PREMIUM_S3_ACCESS_KEY_ID: ACCESS_KEY_ID,
        ROTKI_PREMIUM_S3_SECRET_ACCESS_KEY: SECRET_ACCESS_KEY,
        ROTKI_PREMIUM_S3_FORCE_PATH_STYLE: 'true',
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      };
    },
    async listKeys(bucket, prefix = '') {
      const keys: string[] = [];
      let token: string | undefined;
      do {
        const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
        for (const item of page.Contents ?? []) if (item.Key !== undefined) keys.push(item.Key);
        token = page.IsTruncated === true ? page.NextContinuationToken : undefined;
      } while (token !== undefined);
      return keys.sort();
    },
    async stop() {
      client.destroy();
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(directory, { recursive: true, force: true });
    },
  };
}
