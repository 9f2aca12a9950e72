import type { FastifyInstance } from 'fastify';
import { textLine } from '@rotki-premium/protocol';
import { z } from 'zod';
import type { AppCore } from '../../app-core.ts';
import { AppError } from '../../errors.ts';
import { ok } from '../envelope.ts';

const CreateUserBody = z.object({
  name: textLine(z.string().max(100)),
  password: textLine(z.string().max(1000)),
  premium_api_key: z.string().optional(),
  premium_api_secret: z.string().optional(),
  sync_database: z.boolean().optional(),
});

const LoginBody = z.object({
  password: textLine(z.string().max(1000)),
  sync_approval: z.enum(['unknown', 'yes', 'no']).default('unknown'),
});

const PatchUserBody = z.union([
  z.object({ action: z.literal('logout') }).strict(),
  z.object({ premium_api_key: z.string(), premium_api_secret: z.string() }).strict(),
]);

const NameParams = z.object({ name: textLine(z.string().max(100)) });

/** Local users, as rotki's `/api/1/users`: create, log in (with the sync question), log out, set premium keys. */
export async function userRoutes(app: FastifyInstance, { core }: { core: AppCore }): Promise<void> {
  app.get('/api/1/users', async () => ok(Object.fromEntries(core.users().map((u) => [u.name, u.status]))));

  app.put('/api/1/users', async (request) => {
    const body = CreateUserBody.parse(request.body);
    const created = await core.createUser({
      name: body.name,
      password: body.password,
      premiumApiKey: body.premium_api_key,
      premiumApiSecret: body.premium_api_secret,
      syncDatabase: body.sync_database,
    });
    return ok(created, created.sync?.message ?? '');
  });

  app.post('/api/1/users/:name', async (request) => {
    const { name } = NameParams.parse(request.params);
    const body = LoginBody.parse(request.body);
    const session = await core.login(name, body.password, body.sync_approval);
    return ok(session, session.sync?.message ?? session.premium.message ?? '');
  });

  app.patch('/api/1/users/:name', async (request) => {
    const { name } = NameParams.parse(request.params);
    const parsed = PatchUserBody.safeParse(request.body);
    if (!parsed.success) {
      throw new AppError('invalid_input', 'Send either {"action": "logout"} or {"premium_api_key", "premium_api_secret"}');
    }
    const body = parsed.data;
    if ('action' in body) {
      await core.logout(name);
      return ok(true);
    }
    const status = await core.setPremiumCredentials(name, body.premium_api_key, body.premium_api_secret);
    return ok(true, status.message ?? '');
  });
}
