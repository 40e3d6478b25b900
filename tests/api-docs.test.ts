// Every public export — top-level and inside the exported namespaces (nn, nn.functional, optim,
// data, onnx, autograd, …) — has a TSDoc comment, so the generated API reference (`npm run docs`,
// TypeDoc) has no empty entries. Class members are documented by the classes' own pages.
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const entry = new URL('../src/index.ts', import.meta.url).pathname;

/** `name` for every export reachable from the entry point that has no doc comment. */
function undocumentedExports(): { documented: number; missing: string[] } {
  const program = ts.createProgram([entry], {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    noEmit: true,
  });
  const checker = program.getTypeChecker();
  const root = checker.getSymbolAtLocation(program.getSourceFile(entry)!)!;
  const missing: string[] = [];
  let documented = 0;
  const seen = new Set<ts.Symbol>();
  const visit = (moduleSymbol: ts.Symbol, prefix: string) => {
    for (const exported of checker.getExportsOfModule(moduleSymbol)) {
      const symbol = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
      const name = `${prefix}${exported.name}`;
      const declarations = symbol.declarations ?? [];
      const isNamespace = declarations.some((d) => ts.isSourceFile(d) || ts.isModuleDeclaration(d));
      if (isNamespace) {
        if (seen.has(symbol)) continue;
        seen.add(symbol);
        // A namespace re-exported with `export * as x` is documented by its module's first comment.
        visit(symbol, `${name}.`);
        continue;
      }
      const hasDoc = symbol.getDocumentationComment(checker).length > 0 || declarations.some((d) => ts.getJSDocCommentsAndTags(d).length > 0);
      if (hasDoc) documented++;
      else missing.push(name);
    }
  };
  visit(root, '');
  return { documented, missing };
}

describe('API reference', () => {
  it('every export has a doc comment', () => {
    const { documented, missing } = undocumentedExports();
    expect(documented).toBeGreaterThan(300);
    expect(missing, `exports without a TSDoc comment: ${missing.join(', ')}`).toEqual([]);
  });
});
