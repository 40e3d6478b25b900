import { createServer, type Server } from 'node:http';
import { readFile } from 'node:fs/promises';
import { resolve, sep, extname } from 'node:path';
import type { AddressInfo } from 'node:net';

const contentTypes: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.map': 'application/json',
};

/** A static server for `/dist/*` and `/tests/browser/*` under root, on 127.0.0.1 and an ephemeral port; `headers` go on every file. */
export async function serveStatic(root: string, headers: Record<string, string> = {}): Promise<{ origin: string; close: () => Promise<void> }> {
  const allowed = [resolve(root, 'dist') + sep, resolve(root, 'tests', 'browser') + sep];
  const server: Server = createServer(async (request, response) => {
    const path = resolve(root, '.' + decodeURIComponent(new URL(request.url ?? '/', 'http://x').pathname));
    // ES modules need http (not file://); anything outside the two folders is not ours to serve.
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
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((done, fail) => server.close((error) => (error ? fail(error) : done()))),
  };
}
