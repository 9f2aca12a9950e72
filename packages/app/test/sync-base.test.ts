import { describe, expect, it } from 'vitest';
import type { BackupCurrent } from '@rotki-premium/protocol';
import { texts } from '../src/errors.ts';
import { readSettings, touchLastWrite } from '../src/local/settings.ts';
import { openUserDb } from '../src/local/user-db.ts';
import { hasPendingChanges, readSyncBase, recordSyncBase } from '../src/sync/sync-base.ts';

const NOW = 1_764_684_000;

function current(overrides: Partial<BackupCurrent> = {}): BackupCurrent {
  return {
    upload_ts: NOW - 180,
    last_modify_ts: NOW - 200,
    data_hash: 'A'.repeat(43) + '=',
    data_size: 2_202_010,
    device_name: 'Work laptop',
    device_platform: 'Linux',
    uploaded_by: 'Work laptop (Linux)',
    ...overrides,
  };
}

describe('the sync base', () => {
  it('is empty for data that never synced, and every write after a sync is pending', () => {
    const db = openUserDb(':memory:', { create: true });
    expect(readSyncBase(db)).toEqual({ hash: '', writeTs: 0, writeCount: 0, syncedAt: 0, action: null });
    expect(hasPendingChanges(db)).toBe(false);
    touchLastWrite(db, NOW - 50);
    expect(hasPendingChanges(db)).toBe(true);

    recordSyncBase(db, 'download', 'hash-1', NOW);
    expect(readSyncBase(db)).toEqual({ hash: 'hash-1', writeTs: NOW - 50, writeCount: 1, syncedAt: NOW, action: 'download' });
    expect(hasPendingChanges(db)).toBe(false);
    touchLastWrite(db, NOW + 1);
    expect(hasPendingChanges(db)).toBe(true);

    // An upload records the write mark it exported: a write during the upload stays pending.
    recordSyncBase(db, 'upload', 'hash-2', NOW + 5, { writeTs: NOW, writeCount: 1 });
    expect(hasPendingChanges(db)).toBe(true);

    // A write in the same second as the sync is pending too (the change count tells it apart).
    recordSyncBase(db, 'upload', 'hash-3', NOW + 6);
    expect(hasPendingChanges(db)).toBe(false);
    touchLastWrite(db, NOW + 1);
    expect(readSettings(db).last_write_ts).toBe(NOW + 1);
    expect(hasPendingChanges(db)).toBe(true);
    db.close();
  });

  it('reads damaged values as never synced rather than failing', () => {
    const db = openUserDb(':memory:', { create: true });
    db.prepare("INSERT INTO key_value_cache (name, value) VALUES ('sync_base_write_ts', 'soon')").run();
    expect(readSyncBase(db).writeTs).toBe(0);
    db.close();
  });
});

describe('the refused upload says who, when and what to do', () => {
  it('names the device, the time to the second and how long ago, and the two ways on', () => {
    expect(texts.syncConflict(current(), NOW)).toBe(
      'Not uploaded: the rotki server holds a backup this device has not synced, from Work laptop (Linux), uploaded 2025-12-02 13:57:00 UTC (3 minutes ago), 2.1 MiB. Uploading would replace it and lose the changes made there. Nothing was replaced. Download it first (this device\'s data is kept as a file), or force the upload to replace it with this device\'s data.',
    );
  });

  it('says "a rotki app" for a backup the rotki app uploaded, and when the base was deleted', () => {
    expect(texts.syncConflict(current({ device_name: null, device_platform: null, uploaded_by: 'a rotki app (rotki/1.44.0)' }), NOW)).toContain(
      'from a rotki app (rotki/1.44.0), uploaded',
    );
    expect(texts.syncConflict(current({ data_hash: '', uploaded_by: null }), NOW)).toMatch(/^Not uploaded: the backup this data was last synced from is no longer on the rotki server/);
    expect(texts.autoUploadConflict(current(), NOW)).toMatch(/^Automatic upload skipped: .* from Work laptop \(Linux\), uploaded .*\(3 minutes ago\)/);
  });
});
