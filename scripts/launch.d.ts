/** The file, beside a build's entry, that lists the files the build was made from. */
export declare const BUILD_INFO: string;

/** What `build-info.json` holds: each input, relative to the build folder, with its modification time. */
export interface BuildInfo {
  inputs: Record<string, number>;
}

/** True when the build in `buildDir` was made from the files as they are now. */
export declare function isBuildFresh(buildDir: string): boolean;

/** Runs a program's fresh build, else its TypeScript sources through tsx. */
export declare function launch(binUrl: string, entries: { build: string; sources: string }): Promise<void>;
