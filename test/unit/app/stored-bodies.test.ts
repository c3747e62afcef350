/**
 * Where OPFS is and is not (src/app/shared/stored-bodies.ts), with navigator stubbed (Node has no
 * OPFS): without navigator.storage.getDirectory nothing is stored, read or cleared, and nothing
 * throws but the read of a body that cannot be there; with it, "Clear" removes the bodies' folder
 * and bodies are written only where sync access handles exist (a worker).
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  canStoreBodies,
  clearBodies,
  readBody,
  removeBodies,
  writeBody,
} from '../../../src/app/shared/stored-bodies';

/**
 * An OPFS root that records what is asked of it; the bodies' folder lists `names`, and refuses to
 * remove those in `open` (as Chromium does a file another tab has a sync access handle on).
 */
function fakeRoot(names: string[] = [], open: string[] = []) {
  const calls: string[] = [];
  const folder = {
    removeEntry: async (name: string) => {
      calls.push(`folder.removeEntry ${name}`);
      if (open.includes(name)) throw new DOMException('open', 'NoModificationAllowedError');
    },
    keys: async function* () {
      yield* names;
    },
    getFileHandle: async (name: string) => {
      throw new DOMException(`${name} not found`, 'NotFoundError');
    },
  };
  const root = {
    getDirectoryHandle: async (name: string, o?: { create?: boolean }) => {
      calls.push(`getDirectoryHandle ${name} ${o?.create ?? false}`);
      return folder;
    },
    removeEntry: async (name: string, o?: { recursive?: boolean }) =>
      void calls.push(`removeEntry ${name} ${o?.recursive ?? false}`),
  };
  return { calls, getDirectory: async () => root };
}

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('stored bodies where the browser has no OPFS', () => {
  it.each([
    ['no navigator', undefined],
    ['no navigator.storage', {}],
    ['no getDirectory', { storage: {} }],
  ])(
    '%s: nothing is stored, cleared or removed, and a read says the folder is missing',
    async (_, nav) => {
      vi.stubGlobal('navigator', nav);
      vi.stubGlobal('FileSystemSyncAccessHandle', function SyncHandle() {});
      expect(canStoreBodies()).toBe(false);
      expect(await writeBody('a', new Uint8Array(4))).toBe(false);
      await expect(clearBodies()).resolves.toBeUndefined();
      await expect(removeBodies(['a'])).resolves.toBeUndefined();
      await expect(readBody('a', 4)).rejects.toThrow('the browser storage folder is missing');
    },
  );
});

describe('stored bodies where the browser has OPFS', () => {
  it('writes bodies only where sync access handles exist (a worker)', () => {
    vi.stubGlobal('navigator', { storage: { getDirectory: fakeRoot().getDirectory } });
    vi.stubGlobal('FileSystemSyncAccessHandle', undefined);
    expect(canStoreBodies()).toBe(false);
    vi.stubGlobal('FileSystemSyncAccessHandle', function SyncHandle() {});
    expect(canStoreBodies()).toBe(true);
  });

  it('"Clear" removes each body (one open elsewhere stays), and a remove asks for the folder without creating it', async () => {
    const root = fakeRoot(['a', 'b', 'c'], ['b']);
    vi.stubGlobal('navigator', { storage: { getDirectory: root.getDirectory } });
    await expect(clearBodies()).resolves.toBeUndefined();
    await removeBodies(['a']);
    expect(root.calls).toEqual([
      'getDirectoryHandle t2l-files-v1 false',
      'getDirectoryHandle t2l-files-v1 false',
      'folder.removeEntry a',
      'folder.removeEntry b',
      'folder.removeEntry c',
      'getDirectoryHandle t2l-files-v1 false',
      'folder.removeEntry a',
    ]);
  });

  it('a root that cannot be opened is as no OPFS: nothing thrown but by a read', async () => {
    const getDirectory = async () => {
      throw new DOMException('denied', 'SecurityError');
    };
    vi.stubGlobal('navigator', { storage: { getDirectory } });
    await expect(clearBodies()).resolves.toBeUndefined();
    await expect(removeBodies(['a'])).resolves.toBeUndefined();
    await expect(readBody('a', 4)).rejects.toThrow('the browser storage folder is missing');
  });
});
