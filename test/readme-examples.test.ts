/**
 * Keeps the README honest: every ```ts block whose first line is `// example: <name>` is written
 * to a temporary module (with `from 'zt-netconf-master'` and its subpaths pointed at their sources
 * in src/), type-checked with `strict` as a user's project would, and imported.
 * A block that throws fails its test. Lines `// prints: <text>` after a console.log call state what
 * that call must print; the test checks each such line was printed.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { format } from 'node:util';
import { after, test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import ts from 'typescript';

interface Example {
  name: string;
  code: string;
  expectedOutput: string[];
}

const readmePath = fileURLToPath(new URL('../README.md', import.meta.url));
/** The package's entry points (package.json `exports`) and the source file behind each. */
const ENTRY_POINTS: Record<string, string> = {
  'zt-netconf-master': '../src/index.ts',
  'zt-netconf-master/testing': '../src/testing/index.ts',
  'zt-netconf-master/storage': '../src/storage/interface.ts',
};

/** The example with each `from '<entry point>'` pointed at `target(source file)`. */
function pointImports(code: string, target: (sourceUrl: URL) => string): string {
  return code.replace(/from '(zt-netconf-master(?:\/[\w-]+)?)'/g, (whole, specifier: string) => {
    const source = ENTRY_POINTS[specifier];
    assert.ok(source !== undefined, `the README imports ${specifier}, which is not an entry point`);
    return `from '${target(new URL(source, import.meta.url))}'`;
  });
}

function extractExamples(markdown: string): Example[] {
  const examples: Example[] = [];
  for (const match of markdown.matchAll(/```ts\n(\/\/ example: ([\w-]+)\n[\s\S]*?)```/g)) {
    const code = match[1]!;
    const expectedOutput = [...code.matchAll(/\/\/ prints: (.*)$/gm)].map((m) => m[1]!);
    examples.push({ name: match[2]!, code, expectedOutput });
  }
  return examples;
}

const examples = extractExamples(readFileSync(readmePath, 'utf8'));
const workDir = mkdtempSync(join(tmpdir(), 'readme-examples-'));
after(() => rmSync(workDir, { recursive: true, force: true }));

test('the README has runnable examples with unique names', () => {
  assert.ok(examples.length >= 8, `found only ${examples.length} runnable examples`);
  const names = examples.map((e) => e.name);
  assert.equal(new Set(names).size, names.length, 'example names must be unique');
});

test('the README examples type-check with strict, as a user\'s project would', () => {
  const checkDir = join(workDir, 'typecheck');
  mkdirSync(checkDir);
  const files = examples.map((example) => {
    const file = join(checkDir, `${example.name}.mts`);
    // Relative imports of the .ts sources, with the extension a TypeScript project writes.
    writeFileSync(file, pointImports(example.code, (source) => relative(checkDir, fileURLToPath(source)).replaceAll('\\', '/')));
    return file;
  });
  const program = ts.createProgram(files, {
    strict: true,
    noEmit: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    allowImportingTsExtensions: true,
    lib: ['lib.es2022.d.ts', 'lib.dom.d.ts'],
    types: ['node'],
    typeRoots: [fileURLToPath(new URL('../node_modules/@types', import.meta.url))],
    skipLibCheck: true,
  });
  const problems = ts.getPreEmitDiagnostics(program).map((diagnostic) => {
    const text = ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n');
    if (!diagnostic.file || diagnostic.start === undefined) return text;
    const { line } = diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start);
    return `${relative(checkDir, diagnostic.file.fileName)}:${line + 1}: ${text}`;
  });
  assert.deepEqual(problems, []);
});

for (const example of examples) {
  test(`README example "${example.name}" runs`, async () => {
    const file = join(workDir, `${example.name}.mts`);
    const code = pointImports(example.code, (source) => source.href);
    writeFileSync(file, code);
    const printed: string[] = [];
    const originalLog = console.log;
    console.log = (...values: unknown[]) => {
      printed.push(...format(...values).split('\n'));
    };
    const previousCwd = process.cwd();
    process.chdir(workDir);
    try {
      await import(pathToFileURL(file).href);
    } finally {
      console.log = originalLog;
      process.chdir(previousCwd);
    }
    for (const expected of example.expectedOutput) {
      assert.ok(
        printed.some((line) => line === expected),
        `expected a line "${expected}" in:\n${printed.join('\n')}`,
      );
    }
  });
}
