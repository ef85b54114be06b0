// Makes the headless homeserver its own npm package, `meowtrix-server`, from the built bundles:
//   dist/server (the CLI and server), dist/renderer (the web client it serves at /) → OUT/dist/...,
//   plus a package.json listing only the packages the server imports (versions from ours).
// `npm run pack:server` runs the builds, this, and `npm pack` → dist/meowtrix-server-VERSION.tgz.
// Usage: node build/server_package.ts [--dist DIR (default dist)] [--out DIR (default dist/meowtrix-server)]
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';

const ROOT = path.resolve(import.meta.dirname, '..');

interface RootPackage {
  version: string;
  license: string;
  engines: { node: string };
  dependencies: Record<string, string>;
}

/** The npm package a bare import specifier names: 'sql.js' → 'sql.js', '@img/x/y' → '@img/x'. */
function packageOf(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
}

// import/export statements at the start of a line; import('…'), require('…') and require.resolve('…').
const SPECIFIER_PATTERNS = [
  /^\s*(?:import|export)\s+(?:[\w*${}\s,]+?\s+from\s+)?(['"])([^'"]+)\1/gm,
  /\b(?:import|require|require\.resolve)\s*\(\s*(['"])([^'"]+)\1\s*\)/g,
];

/** Every package that the built server's modules import. */
export function importedPackages(serverDir: string): string[] {
  const found = new Set<string>();
  for (const file of fs.globSync('**/*.js', { cwd: serverDir })) {
    const source = fs.readFileSync(path.join(serverDir, file), 'utf8');
    for (const m of SPECIFIER_PATTERNS.flatMap((pattern) => [...source.matchAll(pattern)])) {
      const specifier = m[2]!;
      if (specifier.startsWith('.') || specifier.startsWith('node:')) continue;
      found.add(packageOf(specifier));
    }
  }
  return [...found].sort();
}

export function serverPackageJson(root: RootPackage, packages: string[]): object {
  const dependencies: Record<string, string> = {};
  for (const name of packages) {
    const range = root.dependencies[name];
    if (!range) throw new Error(`the server imports "${name}", which is not in package.json's dependencies`);
    dependencies[name] = range;
  }
  return {
    name: 'meowtrix-server',
    version: root.version,
    description: 'The Meowtrix household Matrix homeserver, headless: run it with `meowtrix-server serve`.',
    license: root.license,
    type: 'module',
    bin: { 'meowtrix-server': 'dist/server/cli.js' },
    engines: { node: root.engines.node },
    files: ['dist/'],
    dependencies,
  };
}

const README = `# meowtrix-server

The Meowtrix homeserver without the desktop app: a small Matrix server for a household's LAN.
Needs Node ${'$NODE'}.

    meowtrix-server serve --data ~/meowtrix-data --port 8008 --server-name homepc
    meowtrix-server user add anna --admin --data ~/meowtrix-data
    meowtrix-server --help

Phones (FluffyChat) and PCs (Element, nheko, Fractal) sign in at http://<this machine's IP>:8008.
`;

export function makeServerPackage(distDir: string, outDir: string): { packageJson: object } {
  const root = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as RootPackage;
  const serverDir = path.join(distDir, 'server');
  const rendererDir = path.join(distDir, 'renderer');
  for (const [dir, script] of [[serverDir, 'build:server'], [rendererDir, 'build:renderer']] as const) {
    if (!fs.existsSync(dir)) throw new Error(`${dir} is missing: run \`npm run ${script}\` first`);
  }
  const packageJson = serverPackageJson(root, importedPackages(serverDir));
  fs.rmSync(outDir, { recursive: true, force: true });
  fs.mkdirSync(outDir, { recursive: true });
  // The server finds the web client at dist/renderer beside dist/server (server/config.ts).
  fs.cpSync(serverDir, path.join(outDir, 'dist', 'server'), { recursive: true, filter: (src) => !src.endsWith('.map') });
  fs.cpSync(rendererDir, path.join(outDir, 'dist', 'renderer'), { recursive: true, filter: (src) => !src.endsWith('.map') });
  fs.chmodSync(path.join(outDir, 'dist', 'server', 'cli.js'), 0o755);
  fs.writeFileSync(path.join(outDir, 'package.json'), `${JSON.stringify(packageJson, null, 2)}\n`);
  fs.writeFileSync(path.join(outDir, 'README.md'), README.replace('$NODE', root.engines.node));
  return { packageJson };
}

if (import.meta.main) {
  const { values } = parseArgs({ options: { dist: { type: 'string' }, out: { type: 'string' } } });
  const distDir = path.resolve(values.dist ?? path.join(ROOT, 'dist'));
  const outDir = path.resolve(values.out ?? path.join(distDir, 'meowtrix-server'));
  const { packageJson } = makeServerPackage(distDir, outDir);
  console.log(`wrote ${path.relative(process.cwd(), outDir) || '.'} (${Object.keys((packageJson as { dependencies: object }).dependencies).join(', ')})`);
}
