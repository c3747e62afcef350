/**
 * Issue #20 item 1 (page side): the Hub endpoint setting moves every Hub URL the page builds, and
 * the Hugging Face token goes to that endpoint only.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  catalogBases,
  ggufUrl,
  toBaseSource,
  type BaseChoice,
} from '../../../src/app/shared/llm/base-models';
import {
  encoderTable,
  hubAccess,
  knownFiles,
  parseCatalog,
  sourceHost,
  sourceUrl,
} from '../../../src/app/shared/catalog';
import { explainError } from '../../../src/app/shared/error-hints';
import {
  PUBLIC_HUB,
  hubEndpointFor,
  hubEndpointProblem,
  hubResolveUrl,
  sendsTokenTo,
} from '../../../src/app/shared/hub-endpoint';
import { useSettings } from '../../../src/app/shared/settings-store';

const ROOT = join(import.meta.dirname, '../../..');
const catalog = parseCatalog(
  JSON.parse(readFileSync(join(ROOT, 'models/catalog.json'), 'utf8')) as unknown,
);
const official = catalog.models.filter((m) => m.source.hub);
const MIRROR = 'http://127.0.0.1:5400/hub';

beforeEach(() => vi.stubGlobal('location', new URL('http://localhost:5173/')));
afterEach(() => {
  useSettings.setState({ hubEndpoint: '', hfToken: '' });
  vi.unstubAllGlobals();
});

function urlChoice(url: string): BaseChoice {
  const name = url.split('/').pop()!;
  return {
    id: url,
    label: 'B',
    size: 1,
    gated: false,
    note: '',
    baseModel: null,
    source: { kind: 'url', url, name },
  };
}

describe('the Hub endpoint value', () => {
  it('accepts empty (the public Hub) and http(s) URLs with a path, normalized', () => {
    expect(hubEndpointProblem('')).toBeNull();
    expect(hubEndpointFor('')).toBe(PUBLIC_HUB);
    expect(hubEndpointFor(' https://hf-mirror.example/ ')).toBe('https://hf-mirror.example');
    expect(hubEndpointFor('http://127.0.0.1:5400/hub//')).toBe('http://127.0.0.1:5400/hub');
  });

  it('names what is wrong, and the public Hub stays in force until it is fixed', () => {
    const cases: [string, RegExp][] = [
      ['hf-mirror.example', /not an absolute URL/],
      ['ftp://mirror.example', /uses ftp, not http or https/],
      ['https://user:pw@mirror.example', /user name or password/],
      ['https://mirror.example/?x=1', /query/],
      ['https://mirror.example/#top', /fragment/],
    ];
    for (const [value, problem] of cases) {
      expect(hubEndpointProblem(value)).toMatch(problem);
      expect(hubEndpointFor(value)).toBe(PUBLIC_HUB);
    }
  });

  it('builds {endpoint}/{repo}/resolve/{revision}/{path}, each segment encoded', () => {
    expect(hubResolveUrl(MIRROR, 'o/r', 'abc', 'a b/c#.gguf')).toBe(
      `${MIRROR}/o/r/resolve/abc/a%20b/c%23.gguf`,
    );
    expect(hubResolveUrl(MIRROR, 'o/r', 'refs/pr/1', 'dir/')).toBe(
      `${MIRROR}/o/r/resolve/refs%2Fpr%2F1/dir/`,
    );
  });
});

describe('which URL gets the token', () => {
  it('public Hub: huggingface.co and hf.co over https, nothing else', () => {
    expect(sendsTokenTo('https://huggingface.co/o/r/resolve/x/f', PUBLIC_HUB)).toBe(true);
    expect(sendsTokenTo('https://hf.co/o/r/resolve/x/f', PUBLIC_HUB)).toBe(true);
    for (const url of [
      'http://huggingface.co/o/r/resolve/x/f',
      'https://cdn-lfs.huggingface.co/f',
      'https://huggingface.co.evil.example/f',
      `${MIRROR}/o/r/resolve/x/f`,
    ]) {
      expect(sendsTokenTo(url, PUBLIC_HUB), url).toBe(false);
    }
  });

  it('a mirror: its origin under its path only; never huggingface.co then', () => {
    expect(sendsTokenTo(`${MIRROR}/o/r/resolve/x/f`, MIRROR)).toBe(true);
    for (const url of [
      'https://huggingface.co/o/r/resolve/x/f',
      'http://127.0.0.1:5400/hubx/o/r/resolve/x/f',
      'http://127.0.0.1:5400/o/r/resolve/x/f',
      'https://127.0.0.1:5400/hub/o/r/resolve/x/f',
      'http://127.0.0.1:5401/hub/o/r/resolve/x/f',
      'not a url',
    ]) {
      expect(sendsTokenTo(url, MIRROR), url).toBe(false);
    }
  });
});

describe('the catalog through the endpoint in Settings', () => {
  it('every official checkpoint, the encoder and the base GGUFs move to the mirror at their pins', () => {
    useSettings.setState({ hubEndpoint: `${MIRROR}/` });
    expect(official.length).toBe(3);
    for (const m of official) {
      expect(sourceUrl(m.source)).toBe(
        `${MIRROR}/${m.source.hub}/resolve/${m.source.revision}/${m.source.path}/`,
      );
      expect(sourceHost(m.source)).toBe(`127.0.0.1:5400/hub/${m.source.hub}/${m.source.path}`);
    }
    const gte = encoderTable(catalog)['Alibaba-NLP/gte-large-en-v1.5'];
    expect(gte).toMatchObject({
      kind: 'hub',
      endpoint: MIRROR,
      revision: '104333d6af6f97649377c2afbde10a7704870c7b',
    });
    for (const url of Object.keys(knownFiles(catalog, official[0]))) {
      expect(url.startsWith(`${MIRROR}/`), url).toBe(true);
    }
    const bases = catalogBases(official);
    expect(bases.length).toBeGreaterThan(0);
    for (const m of official.filter((e) => e.baseGguf?.hub)) {
      const b = m.baseGguf!;
      expect(ggufUrl(b)).toBe(`${MIRROR}/${b.hub}/resolve/${b.revision}/${b.file}`);
    }
  });

  it('the public Hub when the field is empty, as before', () => {
    const m = official[0]!;
    expect(sourceUrl(m.source)).toMatch(
      /^https:\/\/huggingface\.co\/SakanaAI\/text-to-lora\/resolve\//,
    );
    expect(encoderTable(catalog)['Alibaba-NLP/gte-large-en-v1.5']).not.toHaveProperty('endpoint');
    expect(hubAccess({ hfToken: '', hubEndpoint: '' })).toEqual({});
  });

  it('worker requests carry the endpoint; a base GGUF gets the token only on the endpoint', () => {
    useSettings.setState({ hubEndpoint: MIRROR, hfToken: 'hf_x' });
    expect(hubAccess(useSettings.getState())).toEqual({ hfToken: 'hf_x', hubEndpoint: MIRROR });
    const onMirror = toBaseSource(urlChoice(`${MIRROR}/o/r/resolve/x/b.gguf`), 'hf_x');
    expect(onMirror).toMatchObject({ hfToken: 'hf_x', hubEndpoint: MIRROR });
    const onHub = toBaseSource(urlChoice('https://huggingface.co/o/r/resolve/x/b.gguf'), 'hf_x');
    expect(onHub).not.toHaveProperty('hfToken');
  });
});

describe('error advice names the endpoint in force', () => {
  it('a 401 from the mirror, a 404 there, an unreachable mirror', () => {
    const url = `${MIRROR}/o/r/resolve/x/hypermod.pt`;
    const refused = explainError({ code: 'http', status: 401, message: `401 ${url}`, url }, MIRROR);
    expect(refused.title).toBe('The Hub endpoint 127.0.0.1:5400/hub refused the download');
    expect(refused.hint).toContain('sent to 127.0.0.1:5400/hub only');
    const missing = explainError({ code: 'http', status: 404, message: `404 ${url}`, url }, MIRROR);
    expect(missing.title).toBe('The Hub endpoint 127.0.0.1:5400/hub does not have this file');
    const down = explainError(
      { code: 'internal', message: `${url} could not be fetched: Failed to fetch` },
      MIRROR,
    );
    expect(down.title).toBe('Could not reach the Hub endpoint 127.0.0.1:5400/hub');
    expect(down.retry).toBe(true);
  });

  it('the public Hub keeps its own words', () => {
    const url = 'https://huggingface.co/o/r/resolve/x/hypermod.pt';
    expect(explainError({ code: 'http', status: 401, message: '401', url }).title).toBe(
      'The Hugging Face Hub refused the download',
    );
  });
});
