export { AppCore, SyncApprovalNeeded, type LoginResult, type SyncApproval } from './app-core.ts';
export { buildConfig, type AppConfig } from './config.ts';
export { AppError, texts, type AppErrorKind } from './errors.ts';
export { buildHttpApp } from './http/app.ts';
export { startApp, type RunningApp } from './server.ts';
