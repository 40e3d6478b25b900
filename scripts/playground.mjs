// `npm run playground`: serves the playground (playground/) and the built package (dist/) on
// 127.0.0.1 with the cross-origin isolation headers (COOP/COEP) that let Tessera start threads in
// the page. `--no-isolation` serves without them (one thread, as on a plain static host);
// `--port N` picks the port (default 8080; 0 for any free one).
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { extname, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const contentTypes = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json',
  '.wasm': 'application/wasm',
};
const ISOLATION_HEADERS = { 'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp' };

/**
 * Serves `folders` (relative to the repository) on 127.0.0.1; `/` redirects to `index`.
 * Resolves to { origin, close }.
 */
export async function serveStatic({ folders, index, isolation = true, port = 0 }) {
  const allowed = folders.map((f) => resolve(root, f) + sep);
  const headers = isolation ? ISOLATION_HEADERS : {};
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

/** The playground's server: playground/ and dist/. */
export function servePlayground({ isolation = true, port = 0 } = {}) {
  return serveStatic({ folders: ['playground', 'dist'], index: '/playground/index.html', isolation, port });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const args = process.argv.slice(2);
  const isolation = !args.includes('--no-isolation');
  const portArg = args.indexOf('--port');
  const port = portArg >= 0 ? Number(args[portArg + 1]) : 8080;
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new RangeError(`playground: --port must be an integer from 0 to 65535 (got ${args[portArg + 1]})`);
  const { origin } = await servePlayground({ isolation, port });
  console.log(`Tessera playground: ${origin}/  (${isolation ? 'cross-origin isolated: threads on' : 'not isolated: one thread'}; Ctrl-C stops)`);
}
