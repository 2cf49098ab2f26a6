/**
 * The Dockerfile, read statically (no Docker engine builds it here): the runtime stage runs as a numeric non-root
 * user, holds production dependencies only, copies every directory the processes read at run time — derived from
 * the code that reads them (the Avro schemas, the SQL migrations, the web app) — at the place the compiled code
 * looks for it, puts an init as PID 1 in front of node, and shares its base image with the build stage (the native
 * modules' binaries). Every long-running command handles SIGTERM. .dockerignore keeps local state and secrets out.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { schemaDir } from '../../avro/schema-loader.js';
import { MIGRATIONS_DIR } from '../../postgres/migrate.js';
import { WEB_APP_DIR } from '../../query-service/web-app.js';
import { ROOT } from './deployment.js';

interface Instruction {
  readonly op: string;
  readonly args: string;
}
interface Stage {
  readonly from: string;
  readonly name: string | undefined;
  readonly instructions: Instruction[];
}

/** The Dockerfile's stages and their instructions (continuation lines joined, comments dropped, ARGs expanded). */
function stages(text: string): Stage[] {
  const args = new Map<string, string>();
  const lines = text
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'));
  const out: Stage[] = [];
  for (const line of lines) {
    const [, op = '', rest = ''] = /^(\S+)\s*(.*)$/.exec(line) ?? [];
    const expanded = rest.replace(
      /\$\{(\w+)\}|\$(\w+)/g,
      (whole, a: string | undefined, b: string | undefined) => args.get(a ?? b ?? '') ?? whole,
    );
    if (op.toUpperCase() === 'ARG' && out.length === 0) {
      const [name, value = ''] = expanded.split('=');
      args.set(name!, value);
    } else if (op.toUpperCase() === 'FROM') {
      const [, from = '', name] = /^(\S+)(?:\s+AS\s+(\S+))?/i.exec(expanded) ?? [];
      out.push({ from, name, instructions: [] });
    } else out.at(-1)?.instructions.push({ op: op.toUpperCase(), args: expanded });
  }
  return out;
}

const dockerfile = readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8');
const all = stages(dockerfile);
const runtime = all.at(-1)!;
const ops = (stage: Stage, op: string) => stage.instructions.filter((i) => i.op === op);
/** COPY --from=<stage> <src> <dest> of the runtime stage, destinations made absolute under its WORKDIR. */
const copies = ops(runtime, 'COPY').map((copy) => {
  const parts = copy.args.split(/\s+/);
  const from = parts.find((p) => p.startsWith('--from='))?.slice('--from='.length);
  const [src, dest] = parts.filter((p) => !p.startsWith('--'));
  const workdir = ops(runtime, 'WORKDIR').at(-1)?.args ?? '/';
  return { from, src: src!, dest: path.posix.resolve(workdir, dest!) };
});
const appDir = ops(runtime, 'WORKDIR').at(-1)?.args ?? '/';

t.test('two stages on one base image: native modules built where they run', async (t) => {
  t.ok(all.length >= 2, 'a build stage and a runtime stage');
  t.equal(new Set(all.map((s) => s.from)).size, 1, `every stage FROM ${all[0]?.from}`);
  t.match(all[0]!.from, /^node:20[.-]/, 'Node 20, as package.json engines and CI');
  t.match(all[0]!.from, /slim|distroless/, 'a slim base');
});

t.test('the runtime stage runs as a numeric non-root user', async (t) => {
  const user = ops(runtime, 'USER').at(-1)?.args;
  t.ok(user, 'USER is set');
  const [uid, gid] = (user ?? '').split(':');
  t.match(uid, /^\d+$/, 'numeric uid (Kubernetes runAsNonRoot can check it)');
  t.not(Number(uid), 0, 'not root');
  if (gid !== undefined) t.match(gid, /^\d+$/);
  t.equal(user?.split(':')[0], '10001', 'the uid the manifests run as (runAsUser 10001)');
});

t.test('production dependencies only', async (t) => {
  const source = all.find((s) => s.name === copies.find((c) => c.dest === `${appDir}/node_modules`)?.from);
  t.ok(source, 'node_modules comes from a build stage');
  const runs = ops(source!, 'RUN').map((r) => r.args);
  const build = runs.findIndex((r) => /npm run build/.test(r));
  const prune = runs.findIndex((r) => /npm (prune|ci)\b.*--omit=dev|--omit=dev.*npm (prune|ci)\b/.test(r));
  t.ok(build >= 0, 'it builds');
  t.ok(prune > build, 'then drops the devDependencies (npm prune --omit=dev / npm ci --omit=dev)');
  t.notOk(
    ops(runtime, 'RUN').some((r) => /npm (ci|install)/.test(r.args)),
    'the runtime stage installs no packages of its own',
  );
});

t.test('the dependency patches are in place when npm ci runs its postinstall', async (t) => {
  const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
  t.match(pkg.scripts.postinstall, /patch-package/, 'package.json applies patches/ after every install');
  const source = all.find((s) => s.name === copies.find((c) => c.dest === `${appDir}/node_modules`)?.from)!;
  const steps = source.instructions;
  const install = steps.findIndex((op) => op.op === 'RUN' && /npm ci\b/.test(op.args));
  const patches = steps.findIndex((op) => op.op === 'COPY' && /^patches\b/.test(op.args));
  t.ok(patches >= 0 && patches < install, 'patches/ is copied before npm ci');
});

t.test('everything the processes read at run time is copied where the compiled code looks for it', async (t) => {
  // The directories, from the code that reads them (sources here; dist/… in the image, beside the same tree).
  const read = [schemaDir(), MIGRATIONS_DIR, WEB_APP_DIR].map((dir) => path.relative(ROOT, dir).split(path.sep).join('/'));
  t.same(read.slice(0, 2), ['avro/schemas', 'postgres/migrations'], 'schemas and migrations beside dist/, as in the repository');
  for (const dir of [...read, 'dist/bin', 'package.json']) {
    const target = `${appDir}/${dir}`;
    t.ok(
      copies.some((c) => c.from && (target === c.dest || target.startsWith(`${c.dest}/`))),
      `${dir} is in the image at ${target}`,
    );
  }
  t.ok(
    copies.some((c) => c.src.endsWith('/dist') && c.dest === `${appDir}/dist`),
    'dist/ (with dist/web) copied whole',
  );
  const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { bin: { omnia: string }; type: string };
  t.equal(pkg.type, 'module', 'package.json (copied) makes dist/ ES modules');
  const entry = JSON.parse(ops(runtime, 'ENTRYPOINT').at(-1)?.args ?? '[]') as string[];
  t.ok(entry.includes(`${appDir}/${pkg.bin.omnia}`), `the entrypoint runs the omnia bin (${pkg.bin.omnia})`);
});

t.test('an init is PID 1 and forwards SIGTERM to node, whose handlers commit and close', async (t) => {
  const entry = JSON.parse(ops(runtime, 'ENTRYPOINT').at(-1)?.args ?? '[]') as string[];
  t.match(entry[0], /tini|dumb-init/, 'tini (or dumb-init) first, in exec form');
  t.ok(entry.includes('node'));
  t.ok(
    ops(runtime, 'RUN').some((r) => /apt-get install.*\btini\b/.test(r.args)),
    'tini installed',
  );
  // stopOnSignals answers SIGTERM by default (test/unit/stop-on-signals.test.ts).
  for (const bin of ['bin/omnia.ts', 'bin/sink.ts', 'bin/connectors.ts', 'bin/notify.ts'])
    t.match(readFileSync(path.join(ROOT, bin), 'utf8'), /stopOnSignals\(\{/, `${bin} handles SIGTERM`);
});

t.test('a writable state directory as a volume', async (t) => {
  t.match(ops(runtime, 'VOLUME').at(-1)?.args ?? '', /\/var\/lib\/omnia\/state/);
  t.ok(
    ops(runtime, 'ENV').some((e) => /OMNIA_STATE_DIR=\/var\/lib\/omnia\/state/.test(e.args)),
    'OMNIA_STATE_DIR points at it',
  );
  t.ok(
    ops(runtime, 'RUN').some((r) => /chown 10001:10001 \/var\/lib\/omnia\/state/.test(r.args)),
    'owned by the user',
  );
});

t.test('.dockerignore keeps built trees, local state and secrets out of the context', async (t) => {
  const ignored = readFileSync(path.join(ROOT, '.dockerignore'), 'utf8')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'));
  for (const entry of ['.git', 'node_modules', 'dist', '.state', '.kafka', '.env', '*.pem']) t.ok(ignored.includes(entry), entry);
});
