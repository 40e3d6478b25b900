// A static file server for the playground and the browser tests: ES modules and workers need
// http (not file://), and threads need the cross-origin isolation headers.
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { extname, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const contentTypes = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json',
  '.wasm': 'application/wasm',
};
/** The headers that make a page cross-origin isolated, so it may share memory with workers (threads). */
export const ISOLATION_HEADERS = { 'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp' };

/**
 * Serves `folders` (relative to the repository) on 127.0.0.1 with `headers` on every file; `/`
 * redirects to `index`. Resolves to { origin, close }.
 */
export async function serveStatic({ folders, index, headers = {}, port = 0 }) {
  const allowed = folders.map((f) => resolve(root, f) + sep);
  const server = createServer(async (request, response) => {
    const pathname = decodeURIComponent(new URL(request.url ?? '/', 'http://x').pathname);
    if (pathname === '/' && index) {
      response.writeHead(302, { location: index }).end();
      return;
    }
    const path = resolve(root, `.${pathname}`);
    // ES modules and workers need http (not file://); nothing outside the listed folders is served.
    if (!allowed.some((dir) => path.startsWith(dir))) {
      response.writeHead(404).end();
      return;
    }
    try {
      const body = await readFile(path);
      response.writeHead(200, { ...headers, 'content-type': contentTypes[extname(path)] ?? 'application/octet-stream' }).end(body);
    } catch {
      response.writeHead(404).end();
    }
  });
  await new Promise((done, fail) => {
    server.once('error', fail);
    server.listen(port, '127.0.0.1', done);
  });
  return {
    origin: `http://127.0.0.1:${server.address().port}`,
    close: () => new Promise((done, fail) => server.close((error) => (error ? fail(error) : done()))),
  };
}
