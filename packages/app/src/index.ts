export { AppCore, type LoginResult } from './app-core.ts';
export { SyncApprovalNeeded, type SyncApproval } from './sync/login-pull.ts';
export { buildConfig, type AppConfig } from './config.ts';
export { AppError, texts, type AppErrorKind } from './errors.ts';
export { buildHttpApp } from './http/app.ts';
export { startApp, type RunningApp } from './server.ts';
