// Finds every message the host localizes: the first argument of each
// `vscode.l10n.t(...)` call in src/host, read with the TypeScript parser.

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';

export interface L10nCall {
  file: string;
  line: number;
  /** The message, or undefined when the first argument is not a string literal. */
  message: string | undefined;
}

export function findL10nCalls(dir: string): L10nCall[] {
  const calls: L10nCall[] = [];
  const names = readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts')).sort();
  for (const name of names) {
    const file = join(dir, name);
    const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022, true);
    const visit = (node: ts.Node): void => {
      if (ts.isCallExpression(node) && node.expression.getText(source).replace(/\s/g, '') === 'vscode.l10n.t') {
        const arg = node.arguments[0];
        const message = arg && (ts.isStringLiteral(arg) || ts.isNoSubstitutionTemplateLiteral(arg)) ? arg.text : undefined;
        calls.push({ file: name, line: source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1, message });
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
  }
  return calls;
}
