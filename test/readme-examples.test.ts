/**
 * Keeps the README honest: every ```ts block whose first line is `// example: <name>` is written
 * to a temporary module (with `from 'zt-netconf-master'` pointed at src/index.ts) and imported.
 * A block that throws fails its test. Lines `// prints: <text>` after a console.log call state what
 * that call must print; the test checks each such line was printed.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { format } from 'node:util';
import { after, test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';

interface Example {
  name: string;
  code: string;
  expectedOutput: string[];
}

const readmePath = fileURLToPath(new URL('../README.md', import.meta.url));
const libraryUrl = new URL('../src/index.ts', import.meta.url).href;

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

for (const example of examples) {
  test(`README example "${example.name}" runs`, async () => {
    const file = join(workDir, `${example.name}.mts`);
    const code = example.code.replaceAll(`from 'zt-netconf-master'`, `from '${libraryUrl}'`);
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
