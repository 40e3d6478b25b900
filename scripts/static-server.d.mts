// Types for static-server.mjs, so the browser tests type-check.
export declare const ISOLATION_HEADERS: Record<string, string>;
export declare function serveStatic(options: {
  folders: string[];
  index?: string;
  headers?: Record<string, string>;
  port?: number;
}): Promise<{ origin: string; close: () => Promise<void> }>;
