import { z } from 'zod';
import { getCache, setCache, type UserDb } from './user-db.ts';

/** The user settings the app knows, with rotki's names and defaults. */
export const UserSettings = z.object({
  /** Automatic upload and the pull at login (PROTOCOL.md §8.4). Default false, as in rotki. */
  premium_should_sync: z.boolean(),
  /** Refuse an automatic upload that would replace a bigger remote backup. */
  ask_user_upon_size_discrepancy: z.boolean(),
  /** Unix seconds of the last change to the user's data. */
  last_write_ts: z.number().int(),
});
export type UserSettings = z.infer<typeof UserSettings>;

/** What `PUT /api/1/settings` may change. */
export const SettingsUpdate = UserSettings.omit({ last_write_ts: true }).partial().strict();
export type SettingsUpdate = z.infer<typeof SettingsUpdate>;

export const DEFAULT_SETTINGS: UserSettings = {
  premium_should_sync: false,
  ask_user_upon_size_discrepancy: true,
  last_write_ts: 0,
};

export function readSettings(db: UserDb): UserSettings {
  const rows = db.prepare('SELECT name, value FROM settings').all() as { name: string; value: string }[];
  const stored: Record<string, unknown> = {};
  for (const row of rows) {
    try {
      stored[row.name] = JSON.parse(row.value);
    } catch {
      // A damaged value falls back to its default.
    }
  }
  const merged = { ...DEFAULT_SETTINGS };
  for (const key of Object.keys(DEFAULT_SETTINGS) as (keyof UserSettings)[]) {
    const field = UserSettings.shape[key].safeParse(stored[key]);
    if (field.success) (merged as Record<string, unknown>)[key] = field.data;
  }
  return merged;
}

function write(db: UserDb, name: string, value: unknown): void {
  db.prepare('INSERT INTO settings (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value').run(
    name,
    JSON.stringify(value),
  );
}

const WRITE_COUNT = 'local_write_count';

/**
 * How many changes this database has seen: unlike `last_write_ts` (whole
 * seconds), it tells apart two changes in the same second as a sync.
 */
export function readWriteCount(db: UserDb): number {
  const count = Number(getCache(db, WRITE_COUNT) ?? '0');
  return Number.isSafeInteger(count) && count > 0 ? count : 0;
}

/** Records a change to the user's data: the sync compares this with the remote backup. */
export function touchLastWrite(db: UserDb, nowSeconds: number): void {
  write(db, 'last_write_ts', nowSeconds);
  setCache(db, WRITE_COUNT, String(readWriteCount(db) + 1));
}

export function updateSettings(db: UserDb, update: SettingsUpdate, nowSeconds: number): UserSettings {
  db.transaction(() => {
    for (const [name, value] of Object.entries(update)) {
      if (value !== undefined) write(db, name, value);
    }
    touchLastWrite(db, nowSeconds);
  })();
  return readSettings(db);
}
