import clientPackage from '../package.json' with { type: 'json' };

/** This package's version, as in its package.json. */
export const CLIENT_VERSION: string = clientPackage.version;

/** The User-Agent every request carries unless the caller picks another. */
export const DEFAULT_USER_AGENT = `rotki-premium-client/${CLIENT_VERSION}`;
