/**
 * No layer imports from a layer above it (TEAM.md, STYLE.md item 1): the
 * relative imports of every file under src/ are read and checked against
 * the layer map below. A new folder under src/ must be placed in the map.
 */
import { describe, expect, it } from '@jest/globals';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { UserError } from '../../src/api/errors.js';
import { InputError, ValidationError } from '../../src/api/errors.js';
import { UsageError } from '../../src/cli/command.js';
import { DeployError } from '../../src/deploy/errors.js';

const SRC = path.join(process.cwd(), 'src');

/** Folder -> the folders it may import from (api -> constructs -> render -> operator|deploy -> cli; kube and secrets are leaves). */
const MAY_IMPORT: Record<string, readonly string[]> = {
  // src/index.ts: the package's programmatic API.
  '': ['inbox'],
  api: [],
  secrets: [],
  kube: ['api'],
  constructs: ['api'],
  render: ['api', 'constructs', 'kube', 'secrets'],
  operator: ['api', 'constructs', 'kube', 'render', 'secrets'],
  deploy: ['api', 'constructs', 'kube', 'render', 'secrets'],
  // Reading mail: beside operator and deploy, used by the CLI (and a server).
  inbox: ['api', 'constructs', 'kube'],
  // Handing out credentials: reads agents made by the operator and releases made by the deployer.
  roster: ['api', 'constructs', 'kube', 'render', 'secrets', 'deploy'],
  cli: ['api', 'constructs', 'kube', 'render', 'secrets', 'operator', 'deploy', 'inbox', 'roster'],
};

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? sourceFiles(p) : e.name.endsWith('.ts') ? [p] : [];
  });
}

/** "deploy" for src/deploy/x.ts; "" for a file directly in src/. */
const layerOf = (file: string): string => path.relative(SRC, file).split(path.sep).slice(0, -1)[0] ?? '';

describe('layering of src/', () => {
  const files = sourceFiles(SRC);

  it('knows every folder', () => {
    const unknown = [...new Set(files.map(layerOf))].filter((l) => l !== '' && !(l in MAY_IMPORT));
    expect(unknown).toEqual([]);
  });

  it('no file imports from its own layer\'s superiors', () => {
    const violations: string[] = [];
    for (const file of files) {
      const from = layerOf(file);
      const text = readFileSync(file, 'utf8');
      for (const m of text.matchAll(/(?:from|import\()\s*'(\.{1,2}\/[^']+)'/g)) {
        const target = layerOf(path.resolve(path.dirname(file), m[1] ?? ''));
        if (target === from) continue;
        if (!(MAY_IMPORT[from] ?? []).includes(target)) violations.push(`${path.relative(SRC, file)} imports ${m[1] ?? ''} (${from} -> ${target})`);
      }
    }
    expect(violations).toEqual([]);
  });
});

describe('one UserError base class', () => {
  const files = sourceFiles(SRC);
  it.each([
    ['DeployError', new DeployError('x')],
    ['UsageError', new UsageError('x')],
    ['InputError', new InputError('x')],
    ['ValidationError', new ValidationError('v', [])],
  ])('%s is a UserError, with no duck-typed flag', (_name, err) => {
    expect(err).toBeInstanceOf(UserError);
    expect('userError' in err).toBe(false);
  });

  it('no error class in src/ carries a duck-typed userError flag (the CLI would print it as an internal error, exit 2)', () => {
    const flagged = files.filter((f) => /\buserError\s*=\s*true\b/.test(readFileSync(f, 'utf8'))).map((f) => path.relative(SRC, f));
    expect(flagged).toEqual([]);
  });
});
