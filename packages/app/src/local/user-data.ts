import { z } from 'zod';
import { touchLastWrite } from './settings.ts';
import type { UserDb } from './user-db.ts';

/** The user's own data: blockchain accounts and notes. Every write bumps `last_write_ts`. */

export const NewAccount = z.object({
  chain: z.string().trim().min(1).max(32),
  address: z.string().trim().min(1).max(200),
  label: z.string().trim().max(200).default(''),
});
export type NewAccount = z.infer<typeof NewAccount>;

export interface Account {
  identifier: number;
  chain: string;
  address: string;
  label: string;
  created_at: number;
}

export const NewNote = z.object({
  title: z.string().trim().min(1).max(200),
  content: z.string().max(100_000).default(''),
});
export type NewNote = z.infer<typeof NewNote>;

export const NoteUpdate = NewNote.extend({ identifier: z.number().int().positive() });
export type NoteUpdate = z.infer<typeof NoteUpdate>;

export interface Note {
  identifier: number;
  title: string;
  content: string;
  created_at: number;
  updated_at: number;
}

export function listAccounts(db: UserDb): Account[] {
  return db
    .prepare('SELECT id AS identifier, chain, address, label, created_at FROM accounts ORDER BY id')
    .all() as Account[];
}

/** Adds an account; false when the same chain and address is already there. */
export function addAccount(db: UserDb, account: NewAccount, nowSeconds: number): boolean {
  return db.transaction(() => {
    const result = db
      .prepare('INSERT INTO accounts (chain, address, label, created_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING')
      .run(account.chain, account.address, account.label, nowSeconds);
    if (result.changes > 0) touchLastWrite(db, nowSeconds);
    return result.changes > 0;
  })();
}

export function removeAccount(db: UserDb, identifier: number, nowSeconds: number): boolean {
  return db.transaction(() => {
    const result = db.prepare('DELETE FROM accounts WHERE id = ?').run(identifier);
    if (result.changes > 0) touchLastWrite(db, nowSeconds);
    return result.changes > 0;
  })();
}

export function listNotes(db: UserDb): Note[] {
  return db
    .prepare('SELECT id AS identifier, title, content, created_at, updated_at FROM notes ORDER BY id')
    .all() as Note[];
}

export function addNote(db: UserDb, note: NewNote, nowSeconds: number): Note {
  return db.transaction(() => {
    const result = db
      .prepare('INSERT INTO notes (title, content, created_at, updated_at) VALUES (?, ?, ?, ?)')
      .run(note.title, note.content, nowSeconds, nowSeconds);
    touchLastWrite(db, nowSeconds);
    return { identifier: Number(result.lastInsertRowid), title: note.title, content: note.content, created_at: nowSeconds, updated_at: nowSeconds };
  })();
}

export function updateNote(db: UserDb, note: NoteUpdate, nowSeconds: number): boolean {
  return db.transaction(() => {
    const result = db
      .prepare('UPDATE notes SET title = ?, content = ?, updated_at = ? WHERE id = ?')
      .run(note.title, note.content, nowSeconds, note.identifier);
    if (result.changes > 0) touchLastWrite(db, nowSeconds);
    return result.changes > 0;
  })();
}

export function removeNote(db: UserDb, identifier: number, nowSeconds: number): boolean {
  return db.transaction(() => {
    const result = db.prepare('DELETE FROM notes WHERE id = ?').run(identifier);
    if (result.changes > 0) touchLastWrite(db, nowSeconds);
    return result.changes > 0;
  })();
}
