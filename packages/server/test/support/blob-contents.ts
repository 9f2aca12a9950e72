import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { S3Server } from '../../../../test-support/s3-server.ts';

/** Where a server under test keeps backup bytes. */
export type BlobLocation = { store: 'file'; dataDir: string } | { store: 's3'; s3: S3Server; bucket: string };

/**
 * The upload ids that have bytes in the blob store: uploads in progress,
 * the stored backups, and replaced backups waiting for removal. Files are
 * `<data>/backups/{uploads,blobs}/<id>`; S3 keys are `backups/<id>/<offset>`.
 */
export async function storedUploadIds(location: BlobLocation): Promise<string[]> {
  if (location.store === 's3') {
    const keys = await location.s3.listKeys(location.bucket, 'backups/');
    return [...new Set(keys.map((key) => key.split('/')[1] ?? ''))].sort();
  }
  const root = join(location.dataDir, 'backups');
  return ['uploads', 'blobs'].flatMap((dir) => (existsSync(join(root, dir)) ? readdirSync(join(root, dir)) : [])).sort();
}
