// Types for playground.mjs, so the browser tests type-check.
export declare function servePlayground(options?: { isolation?: boolean; port?: number }): Promise<{ origin: string; close: () => Promise<void> }>;
