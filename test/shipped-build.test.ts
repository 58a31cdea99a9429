// What `npm run build` ships: product code only. Test-only modules live in testing/ folders, which
// tsconfig.build.json excludes; tsc would still compile them if shipped code imported them.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

const ROOT = join(__dirname, '..');
const build = JSON.parse(readFileSync(join(ROOT, 'tsconfig.build.json'), 'utf8')) as {
  include: string[];
  exclude: string[];
};

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory())
      return entry.name === 'testing' || entry.name === 'node_modules' ? [] : sources(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') ? [path] : [];
  });
}

describe('the shipped build', () => {
  it('excludes tests and testing/ folders', () => {
    expect(build.exclude).toEqual(expect.arrayContaining(['**/*.test.ts', '**/testing/**']));
  });

  it('has no shipped module importing test-only code', () => {
    const offenders = build.include
      .flatMap((dir) => sources(join(ROOT, dir)))
      .filter((file) => /from '[^']*\/(testing|test)\//.test(readFileSync(file, 'utf8')))
      .map((file) => relative(ROOT, file));
    expect(offenders).toEqual([]);
  });
});
