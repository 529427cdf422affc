/**
 * Installs the package as a user gets it, with no network: `npm run build`, `npm pack`, the tarball
 * unpacked into `<folder>/node_modules/zt-netconf-master`, and the package's runtime dependencies
 * (plus @types/node and what it needs) linked from this repository's node_modules. Nothing else is
 * linked: in particular no @types/sql.js, which a user of the package does not have.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface InstalledPackage {
  /** The consumer project: `node_modules/zt-netconf-master` inside it. */
  readonly folder: string;
  /** The `exports` keys of the package, e.g. `.`, `./testing`. */
  readonly entryPoints: string[];
  remove(): void;
}

/** Links `<from>/node_modules/<name>` to the repository's copy. */
function link(folder: string, name: string): void {
  const target = path.join(folder, 'node_modules', name);
  mkdirSync(path.dirname(target), { recursive: true });
  symlinkSync(path.join(repoRoot, 'node_modules', name), target, 'dir');
}

export function installPackedPackage(prefix: string): InstalledPackage {
  const folder = mkdtempSync(path.join(tmpdir(), `${prefix}-`));
  try {
    execFileSync('npm', ['run', 'build', '--silent'], { cwd: repoRoot, stdio: 'pipe' });
    const packed = JSON.parse(
      execFileSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', folder], { cwd: repoRoot, encoding: 'utf8' }),
    ) as Array<{ filename: string }>;
    execFileSync('tar', ['-xzf', path.join(folder, packed[0]!.filename), '-C', folder]);
    mkdirSync(path.join(folder, 'node_modules'));
    renameSync(path.join(folder, 'package'), path.join(folder, 'node_modules', 'zt-netconf-master'));
    const manifest = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
      exports: Record<string, unknown>;
    };
    // The runtime dependencies and, as npm installs them, theirs (hoisted): e.g. @types/pg needs pg-protocol.
    const linked = new Set<string>();
    const queue = [...Object.keys(manifest.dependencies), '@types/node'];
    for (let name = queue.shift(); name !== undefined; name = queue.shift()) {
      if (linked.has(name) || !existsSync(path.join(repoRoot, 'node_modules', name))) continue;
      linked.add(name);
      link(folder, name);
      const own = JSON.parse(readFileSync(path.join(repoRoot, 'node_modules', name, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> };
      queue.push(...Object.keys(own.dependencies ?? {}));
    }
    writeFileSync(path.join(folder, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
    return {
      folder,
      entryPoints: Object.keys(manifest.exports).filter((key) => key !== './package.json'),
      remove: () => rmSync(folder, { recursive: true, force: true }),
    };
  } catch (error) {
    rmSync(folder, { recursive: true, force: true });
    throw error;
  }
}

/** The import specifier of an `exports` key: `.` → the package name, `./x` → `zt-netconf-master/x`. */
export function specifierOf(entryPoint: string): string {
  return entryPoint === '.' ? 'zt-netconf-master' : `zt-netconf-master/${entryPoint.slice(2)}`;
}
