// Every public export — top-level and inside the exported namespaces (nn, nn.functional, optim,
// data, onnx, autograd, …) — has a TSDoc comment, and so has every public member (method, accessor,
// property; static or not) of an exported class, so the generated API reference (`npm run docs`,
// TypeDoc) has no empty entries. Private, `#`, `_`-prefixed and `@internal` members are not in the
// reference; an override without a comment shows its base member's, as TypeDoc does.
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const entry = new URL('../src/index.ts', import.meta.url).pathname;

/** Whether a class member appears in the API reference (TypeDoc with excludePrivate, excludeInternal). */
function isPublicMember(member: ts.ClassElement, symbol: ts.Symbol, checker: ts.TypeChecker): boolean {
  if (ts.isConstructorDeclaration(member) || ts.isClassStaticBlockDeclaration(member) || ts.isSemicolonClassElement(member)) return false;
  if (ts.isIndexSignatureDeclaration(member) || !member.name || ts.isPrivateIdentifier(member.name)) return false;
  if (ts.getCombinedModifierFlags(member) & ts.ModifierFlags.Private) return false;
  if (symbol.name.startsWith('_')) return false;
  return !symbol.getJsDocTags(checker).some((tag) => tag.name === 'internal');
}

/** `name` for every export reachable from the entry point, and every public member of an exported class, that has no doc comment. */
function undocumentedExports(): { documented: number; members: number; missing: string[] } {
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
  let members = 0;
  const seen = new Set<ts.Symbol>();
  const visitClass = (cls: ts.ClassDeclaration, name: string) => {
    // Overloads and get/set pairs share one symbol: one entry each.
    const done = new Set<ts.Symbol>();
    for (const member of cls.members) {
      const symbol = member.name && checker.getSymbolAtLocation(member.name);
      if (!symbol || done.has(symbol) || !isPublicMember(member, symbol, checker)) continue;
      done.add(symbol);
      if (symbol.getDocumentationComment(checker).length > 0) members++;
      else missing.push(`${name}.${member.name!.getText()}`);
    }
  };
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
      const cls = declarations.find(ts.isClassDeclaration);
      if (cls && !seen.has(symbol)) {
        seen.add(symbol);
        visitClass(cls, name);
      }
    }
  };
  visit(root, '');
  return { documented, members, missing };
}

describe('API reference', () => {
  it('every export and every public member of an exported class has a doc comment', () => {
    const { documented, members, missing } = undocumentedExports();
    expect(documented).toBeGreaterThan(300);
    // About 600 today (Tensor alone has ~150): a count far below means classes were not walked.
    expect(members).toBeGreaterThan(400);
    expect(missing, `exports and class members without a TSDoc comment: ${missing.join(', ')}`).toEqual([]);
  });
});
