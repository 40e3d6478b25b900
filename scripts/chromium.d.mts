// Types for chromium.mjs, so the browser tests type-check.
export declare const CHROMIUM_PATH: string;
export declare const CHROMIUM_ARGS: string[];
