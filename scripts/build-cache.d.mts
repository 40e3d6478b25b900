// Types for build-cache.mjs, so the build-cache test type-checks.
export declare const root: string;
export declare const cacheDir: string;
export declare const wasmDir: string;
export declare function cacheKey(paths: string[], extra?: string[], base?: string): string;
export declare function isUpToDate(step: string, key: string, outputs: string[], options?: { dir?: string; base?: string }): boolean;
export declare function recordBuild(step: string, key: string, outputs: string[], options?: { dir?: string; base?: string }): void;
export declare function packageVersion(name: string): string;
