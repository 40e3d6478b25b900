/**
 * `Symbol.dispose` and `Disposable` for TypeScript projects whose lib lacks ESNext.Disposable (a
 * browser project with `lib: ["dom", "es2022"]`): the same declarations the lib has, so the
 * package's types compile with or without it.
 */
declare global {
  interface SymbolConstructor {
    readonly dispose: unique symbol;
  }
  interface Disposable {
    [Symbol.dispose](): void;
  }
}
export {};
