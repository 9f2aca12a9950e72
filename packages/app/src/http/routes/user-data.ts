import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { AppCore } from '../../app-core.ts';
import { AppError } from '../../errors.ts';
import { SettingsUpdate } from '../../local/settings.ts';
import {
  NewAccount,
  NewNote,
  NoteUpdate,
  addAccount,
  addNote,
  listAccounts,
  listNotes,
  removeAccount,
  removeNote,
  updateNote,
} from '../../local/user-data.ts';
import { ok } from '../envelope.ts';

const Identifier = z.object({ identifier: z.number().int().positive() });
const SettingsBody = z.object({ settings: SettingsUpdate });

/** The logged-in user's settings and data (accounts and notes). */
export async function userDataRoutes(app: FastifyInstance, { core }: { core: AppCore }): Promise<void> {
  const nowSeconds = () => Math.floor(core.now() / 1000);

  app.get('/api/1/settings', async () => ok(core.settings()));
  app.put('/api/1/settings', async (request) => ok(core.updateSettings(SettingsBody.parse(request.body).settings)));

  app.get('/api/1/notes', async () => ok(listNotes(core.userDb())));
  app.put('/api/1/notes', async (request) => ok(addNote(core.userDb(), NewNote.parse(request.body), nowSeconds())));
  app.patch('/api/1/notes', async (request) => {
    if (!updateNote(core.userDb(), NoteUpdate.parse(request.body), nowSeconds())) throw new AppError('not_found', 'No such note');
    return ok(true);
  });
  app.delete('/api/1/notes', async (request) => {
    if (!removeNote(core.userDb(), Identifier.parse(request.body).identifier, nowSeconds())) throw new AppError('not_found', 'No such note');
    return ok(true);
  });

  app.get('/api/1/accounts', async () => ok(listAccounts(core.userDb())));
  app.put('/api/1/accounts', async (request) => {
    const account = NewAccount.parse(request.body);
    if (!addAccount(core.userDb(), account, nowSeconds())) throw new AppError('invalid_input', 'This account is already there');
    return ok(listAccounts(core.userDb()));
  });
  app.delete('/api/1/accounts', async (request) => {
    if (!removeAccount(core.userDb(), Identifier.parse(request.body).identifier, nowSeconds())) {
      throw new AppError('not_found', 'No such account');
    }
    return ok(listAccounts(core.userDb()));
  });
}
