import appPackage from '../package.json' with { type: 'json' };

export const APP_VERSION: string = appPackage.version;
export const APP_USER_AGENT = `rotki-premium-app/${APP_VERSION}`;
