/**
 * Node's fs, imported only when a path is read or written, so modules that use it still load in
 * browsers; there the import fails and the error says to pass bytes instead.
 */
export async function nodeFs(op: string): Promise<typeof import('node:fs/promises')> {
  try {
    return await import('node:fs/promises');
  } catch {
    throw new Error(`${op}: reading or writing a file path needs Node's fs, which this environment lacks; pass the bytes instead (e.g. from fetch())`);
  }
}
