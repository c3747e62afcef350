/**
 * No import circles in src/: a circle makes a module's exports undefined while another module of the
 * circle still runs its top level, and ties features together that should be readable one at a time.
 * dpdm reads the TypeScript imports (type-only ones included: they still tie the files together).
 */
import { parseCircular, parseDependencyTree, prettyCircular } from 'dpdm';
import { describe, expect, it } from 'vitest';

describe('src/ imports', () => {
  it('form no circle', { timeout: 120_000 }, async () => {
    const tree = await parseDependencyTree(['src/**/*.ts', 'src/**/*.tsx'], {
      context: process.cwd(),
      tsconfig: 'tsconfig.json',
      transform: false,
      skipDynamicImports: false,
    });
    // The tree really was followed: the app's entry reaches its services (a wrong option left every
    // file without dependencies once, and then no circle can be found).
    expect(Object.keys(tree).length).toBeGreaterThan(100);
    expect(tree['src/app/shell/init.ts']?.map((d) => d.id)).toContain(
      'src/app/generate/prewarm.ts',
    );
    const circles = parseCircular(tree);
    expect(circles, prettyCircular(circles)).toEqual([]);
  });
});
