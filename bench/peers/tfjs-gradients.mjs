/**
 * Registers tfjs-core's gradients, which its Node (CJS) bundle leaves out. Their ESM sources
 * import without file extensions, so a resolve hook adds `.js` for files inside tfjs-core's dist.
 * Registries and the engine live on a global namespace, so the CJS engine sees these gradients.
 */
import { register } from 'node:module';

const hook = `
export async function resolve(specifier, context, next) {
  if (context.parentURL?.includes('/@tensorflow/tfjs-core/dist/') && specifier.startsWith('.') && !specifier.endsWith('.js')) {
    try { return await next(specifier + '.js', context); } catch { return next(specifier + '/index.js', context); }
  }
  return next(specifier, context);
}`;
register(`data:text/javascript,${encodeURIComponent(hook)}`, import.meta.url);
await import('@tensorflow/tfjs-core/dist/register_all_gradients.js');
