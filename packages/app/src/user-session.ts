import { rmSync } from 'node:fs';
import type { AppConfig } from './config.ts';
import { AppError } from './errors.ts';
import { readSettings } from './local/settings.ts';
import { createUser, openUser, userDbPath, userDir, type OpenUser } from './local/user-store.ts';
import { PremiumSession } from './premium/premium-session.ts';
import { pullAtLogin, type SyncApproval } from './sync/login-pull.ts';
import { SyncService, type SyncOutcome } from './sync/sync-service.ts';

/**
 * Opening a local user with its premium session and sync: a new user (with
 * keys: premium set up and the remote backup pulled), or an existing one at
 * login (premium checked, the remote backup offered). `AppCore` keeps the one
 * that is open.
 */

export interface CreateUserInput {
  name: string;
  password: string;
  premiumApiKey?: string | undefined;
  premiumApiSecret?: string | undefined;
  /** With keys: pull the remote backup into the new user (default true, as in rotki). */
  syncDatabase?: boolean | undefined;
}

/** A logged-in local user with its premium session and sync. */
export interface UserSession {
  user: OpenUser;
  premium: PremiumSession;
  sync: SyncService;
}

/** What a session is opened with. */
export interface SessionSettings {
  config: AppConfig;
  userAgent: string;
  now: () => number;
}

/** The opened session, and what happened with the remote backup, when anything did. */
export interface OpenedSession {
  session: UserSession;
  sync: SyncOutcome | null;
}

function openSession(user: OpenUser, settings: SessionSettings): UserSession {
  const { config, now } = settings;
  const premium = new PremiumSession(user, {
    serverUrl: config.serverUrl,
    siteUrl: config.siteUrl,
    userAgent: settings.userAgent,
    deviceName: config.deviceName,
    now,
  });
  return { user, premium, sync: new SyncService(user, premium, { now, uploadIntervalMs: config.uploadIntervalMs }) };
}

/** A new local user; with premium keys, activates premium and pulls the remote backup. On failure nothing of the user is left. */
export async function createUserSession(settings: SessionSettings, input: CreateUserInput): Promise<OpenedSession> {
  const { dataDir } = settings.config;
  const withKeys = (input.premiumApiKey ?? '') !== '' || (input.premiumApiSecret ?? '') !== '';
  const user = await createUser(dataDir, input.name, input.password);
  const session = openSession(user, settings);
  let sync: SyncOutcome | null = null;
  try {
    if (withKeys) {
      try {
        await session.premium.setup(input.premiumApiKey ?? '', input.premiumApiSecret ?? '');
      } catch (error) {
        const failure = session.premium.explain(error);
        if (failure.kind === 'invalid_credentials_format') throw failure;
        const prefix = failure.kind === 'device_limit' ? '' : 'Could not verify keys for the new account. ';
        throw new AppError(failure.kind, `${prefix}${failure.message}`, failure.details);
      }
      if (input.syncDatabase !== false) {
        try {
          sync = await session.sync.pullForNewUser();
        } catch (error) {
          if (error instanceof AppError && error.kind === 'remote_password_mismatch') {
            throw new AppError(error.kind, `Could not verify keys for the new account. ${error.message}`);
          }
          throw error;
        }
      }
    }
  } catch (error) {
    session.sync.close();
    user.close();
    rmSync(userDir(dataDir, input.name), { recursive: true, force: true });
    throw error;
  }
  return { session, sync };
}

/** Opens an existing user: checks premium and, when the switch is on and the remote backup is newer, asks first (PROTOCOL.md §5.5). */
export async function loginUserSession(settings: SessionSettings, name: string, password: string, approval: SyncApproval): Promise<OpenedSession> {
  const { dataDir } = settings.config;
  const user = await openUser(dataDir, name, password);
  const session = openSession(user, settings);
  let sync: SyncOutcome | null = null;
  try {
    if (session.premium.hasCredentials) await session.premium.check('login');
    if (session.premium.active) {
      await session.sync.refreshRemote();
      sync = await pullAtLogin(session.sync, user.db, readSettings(user.db), approval, userDbPath(dataDir, name));
    }
  } catch (error) {
    session.sync.close();
    user.close();
    throw error;
  }
  return { session, sync };
}
