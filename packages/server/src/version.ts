import serverPackage from '../package.json' with { type: 'json' };

/** This server's version, as in its package.json (the console's System page, instance heartbeats). */
export const SERVER_VERSION: string = serverPackage.version;
