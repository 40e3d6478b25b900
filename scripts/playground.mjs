// `npm run playground`: serves the playground (playground/) and the built package (dist/) on
// 127.0.0.1 with the cross-origin isolation headers (COOP/COEP) that let Tessera start threads in
// the page. `--no-isolation` serves without them (one thread, as on a plain static host);
// `--port N` picks the port (default 8080; 0 for any free one).
import { pathToFileURL } from 'node:url';
import { ISOLATION_HEADERS, serveStatic } from './static-server.mjs';

/** The playground's server: playground/ and dist/. */
export function servePlayground({ isolation = true, port = 0 } = {}) {
  return serveStatic({ folders: ['playground', 'dist'], index: '/playground/index.html', headers: isolation ? ISOLATION_HEADERS : {}, port });
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
