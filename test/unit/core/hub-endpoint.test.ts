import { describe, expect, it } from 'vitest';
import { T2LError } from '../../../src/core/errors';
import {
  DEFAULT_HUB_ENDPOINT,
  endpointHost,
  formatHubPath,
  hubAuthHeaders,
  hubFileUrl,
  hubFolderUrl,
  hubLabel,
  isCommit,
  isRepoId,
  normalizeEndpoint,
  parseHubPath,
  pyQuote,
  repoFolderName,
  sendsToken,
  transformersRemote,
} from '../../../src/core/hub/endpoint';

const COMMIT = '6e571eda2188b216f027263cd28c99c0fdcf2fa3';

describe('normalizeEndpoint', () => {
  it.each([
    [undefined, 'https://huggingface.co'],
    ['', 'https://huggingface.co'],
    ['  ', 'https://huggingface.co'],
    ['https://huggingface.co', 'https://huggingface.co'],
    ['https://huggingface.co/', 'https://huggingface.co'],
    ['https://hf-mirror.com///', 'https://hf-mirror.com'],
    ['http://127.0.0.1:5300', 'http://127.0.0.1:5300'],
    ['http://127.0.0.1:5300/', 'http://127.0.0.1:5300'],
    ['https://proxy.corp/hf/', 'https://proxy.corp/hf'],
    ['HTTPS://Proxy.Corp:443/hf', 'https://proxy.corp/hf'],
    [' https://hf-mirror.com ', 'https://hf-mirror.com'],
  ])('%j → %s', (input, expected) => {
    expect(normalizeEndpoint(input)).toBe(expected);
  });

  it.each([
    ['huggingface.co', 'not an absolute URL'],
    ['ftp://mirror.example', 'uses ftp, not http or https'],
    ['file:///srv/hub', 'uses file, not http or https'],
    ['javascript:alert(1)', 'uses javascript'],
    ['https://user:pw@mirror.example', 'user name or password'],
    ['https://mirror.example/?x=1', 'has a query'],
    ['https://mirror.example/?', 'has a query'],
    ['https://mirror.example/#top', 'has a fragment'],
  ])('refuses %j (%s)', (input, why) => {
    let err: unknown;
    try {
      normalizeEndpoint(input, 'HF_ENDPOINT');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(T2LError);
    expect((err as T2LError).code).toBe('bad-input');
    expect((err as Error).message).toContain('HF_ENDPOINT');
    expect((err as Error).message).toContain(why);
    expect((err as Error).message).toContain(JSON.stringify(input));
  });

  it('names the setting it checks', () => {
    expect(() => normalizeEndpoint('nope', 'Settings → Hub endpoint')).toThrow(
      /^Settings → Hub endpoint: "nope"/,
    );
  });
});

describe('URLs', () => {
  // Expected strings written out by hand from huggingface_hub's hf_hub_url rule:
  // quote(revision, safe="") and quote(filename) (safe="/").
  it.each([
    [
      [
        DEFAULT_HUB_ENDPOINT,
        'SakanaAI/text-to-lora',
        COMMIT,
        'trained_t2l/mistral_7b_t2l/hypermod.pt',
      ],
      `https://huggingface.co/SakanaAI/text-to-lora/resolve/${COMMIT}/trained_t2l/mistral_7b_t2l/hypermod.pt`,
    ],
    [
      ['http://127.0.0.1:9/hf', 'o/r', 'refs/pr/1', 'a b/c+d!(e)é.txt'],
      'http://127.0.0.1:9/hf/o/r/resolve/refs%2Fpr%2F1/a%20b/c%2Bd%21%28e%29%C3%A9.txt',
    ],
    [['https://h', 'o/r', 'v1.0', '/config.json'], 'https://h/o/r/resolve/v1.0/config.json'],
    [['https://h', 'o/r', 'main', 'a~b_c-d.e'], 'https://h/o/r/resolve/main/a~b_c-d.e'],
  ] as const)('hubFileUrl(%j)', ([endpoint, repo, revision, path], expected) => {
    expect(hubFileUrl(endpoint, repo, revision, path)).toBe(expected);
  });

  it('prefixes datasets and spaces', () => {
    expect(hubFileUrl('https://h', 'o/d', 'main', 'x.json', 'dataset')).toBe(
      'https://h/datasets/o/d/resolve/main/x.json',
    );
    expect(hubFileUrl('https://h', 'o/s', 'main', 'app.py', 'space')).toBe(
      'https://h/spaces/o/s/resolve/main/app.py',
    );
  });

  it.each([
    ['trained_t2l/gemma_2b_t2l', `https://h/o/r/resolve/${COMMIT}/trained_t2l/gemma_2b_t2l/`],
    ['/trained_t2l/gemma_2b_t2l/', `https://h/o/r/resolve/${COMMIT}/trained_t2l/gemma_2b_t2l/`],
    ['', `https://h/o/r/resolve/${COMMIT}/`],
  ])('hubFolderUrl(%j)', (folder, expected) => {
    expect(hubFolderUrl('https://h', 'o/r', COMMIT, folder)).toBe(expected);
  });

  it('pyQuote keeps what Python keeps', () => {
    expect(pyQuote("!'()*", '')).toBe('%21%27%28%29%2A');
    expect(pyQuote('a/b', '')).toBe('a%2Fb');
    expect(pyQuote('a/b')).toBe('a/b');
  });

  it('labels and hosts', () => {
    expect(hubLabel(DEFAULT_HUB_ENDPOINT, 'o/r', 'a/b/')).toBe('huggingface.co/o/r/a/b');
    expect(hubLabel('http://127.0.0.1:5300/hf', 'o/r')).toBe('127.0.0.1:5300/hf/o/r');
    expect(endpointHost('http://127.0.0.1:5300/hf')).toBe('127.0.0.1:5300');
    expect(transformersRemote('http://x:1/hf')).toEqual({
      remoteHost: 'http://x:1/hf/',
      remotePathTemplate: '{model}/resolve/{revision}/',
    });
  });

  it('cache folder names', () => {
    expect(repoFolderName('SakanaAI/text-to-lora')).toBe('models--SakanaAI--text-to-lora');
    expect(repoFolderName('rajpurkar/squad', 'dataset')).toBe('datasets--rajpurkar--squad');
  });
});

describe('the token goes to the endpoint in force only', () => {
  const pub = DEFAULT_HUB_ENDPOINT;
  const mirror = 'http://127.0.0.1:5300/hf';
  it.each([
    [pub, 'https://huggingface.co/o/r/resolve/main/x', true],
    [pub, 'https://hf.co/o/r/resolve/main/x', true],
    [pub, 'http://huggingface.co/o/r/resolve/main/x', false],
    [pub, 'https://cdn-lfs.huggingface.co/repos/ab/cd', false],
    [pub, 'https://cas-bridge.xethub.hf.co/xet-bridge-us/x', false],
    [pub, 'https://huggingface.co.evil.example/o/r', false],
    [pub, 'http://127.0.0.1:5300/hf/o/r/resolve/main/x', false],
    [mirror, 'http://127.0.0.1:5300/hf/o/r/resolve/main/x', true],
    [mirror, 'http://127.0.0.1:5300/hf', true],
    [mirror, 'http://127.0.0.1:5300/hfx/o/r', false],
    [mirror, 'http://127.0.0.1:5300/cdn/abc', false],
    [mirror, 'http://127.0.0.1:5301/hf/o/r', false],
    [mirror, 'https://127.0.0.1:5300/hf/o/r', false],
    [mirror, 'https://huggingface.co/o/r/resolve/main/x', false],
    ['http://127.0.0.1:5300', 'http://127.0.0.1:5300/anything', true],
    [mirror, 'not a url', false],
  ])('endpoint %s, %s → %s', (endpoint, url, expected) => {
    expect(sendsToken(url, endpoint)).toBe(expected);
    expect(hubAuthHeaders(url, endpoint, 'hf_x')).toEqual(
      expected ? { Authorization: 'Bearer hf_x' } : {},
    );
  });

  it('sends nothing without a token', () => {
    expect(hubAuthHeaders('https://huggingface.co/o/r', pub, '')).toEqual({});
    expect(hubAuthHeaders('https://huggingface.co/o/r', pub, undefined)).toEqual({});
  });
});

describe('parseHubPath', () => {
  it.each([
    [
      'SakanaAI/text-to-lora/trained_t2l/mistral_7b_t2l',
      { type: 'model', repo: 'SakanaAI/text-to-lora', path: 'trained_t2l/mistral_7b_t2l' },
    ],
    [
      'SakanaAI/text-to-lora/trained_t2l/mistral_7b_t2l/',
      { type: 'model', repo: 'SakanaAI/text-to-lora', path: 'trained_t2l/mistral_7b_t2l' },
    ],
    ['o/r', { type: 'model', repo: 'o/r', path: '' }],
    [
      `hf://SakanaAI/text-to-lora/trained_t2l/gemma_2b_t2l@${COMMIT}`,
      {
        type: 'model',
        repo: 'SakanaAI/text-to-lora',
        path: 'trained_t2l/gemma_2b_t2l',
        revision: COMMIT,
      },
    ],
    [
      'hf://o/r@v1.0/sub/model.gguf',
      { type: 'model', repo: 'o/r', path: 'sub/model.gguf', revision: 'v1.0' },
    ],
    [
      'hf://o/r/sub/model.gguf@refs%2Fpr%2F3',
      { type: 'model', repo: 'o/r', path: 'sub/model.gguf', revision: 'refs/pr/3' },
    ],
    ['hf://o/r@main', { type: 'model', repo: 'o/r', path: '', revision: 'main' }],
    ['hf://o/r', { type: 'model', repo: 'o/r', path: '' }],
    [
      'hf://datasets/o/d/data/train.jsonl',
      { type: 'dataset', repo: 'o/d', path: 'data/train.jsonl' },
    ],
    ['HF://o/r/x', { type: 'model', repo: 'o/r', path: 'x' }],
  ])('%s', (input, expected) => {
    expect(parseHubPath(input)).toEqual(expected);
  });

  it.each([
    'models/demo/packages/L/../x',
    './a/b',
    '../a/b',
    '/abs/path',
    'single',
    'a--b/c',
    'a/b/../c',
    'a/b//c',
    'C:\\models\\x',
    'a/b@main',
    'o/r.git/x',
  ])('%s is not a Hub path (a local path)', (input) => {
    expect(parseHubPath(input)).toBeUndefined();
  });

  it.each([
    ['hf://o', 'no owner/repo'],
    ['hf://o/r/a@b@c', 'more than one'],
    ['hf://o--x/r', 'not a repo id'],
    ['hf://o/r/../x', 'is empty, "." or ".."'],
    ['hf://o/r/x@', 'bad revision'],
    ['hf://o/r/x@a b', 'bad revision'],
  ])('refuses %s', (input, why) => {
    expect(() => parseHubPath(input)).toThrow(T2LError);
    expect(() => parseHubPath(input)).toThrow(why);
  });

  it('round-trips through formatHubPath', () => {
    for (const s of [`hf://o/r/a/b@${COMMIT}`, 'hf://datasets/o/d/x.json', 'hf://o/r']) {
      expect(formatHubPath(parseHubPath(s)!)).toBe(s);
    }
    expect(formatHubPath({ type: 'model', repo: 'o/r', path: 'x', revision: 'refs/pr/1' })).toBe(
      'hf://o/r/x@refs%2Fpr%2F1',
    );
  });

  it('ids and commits', () => {
    expect(isRepoId('Alibaba-NLP/gte-large-en-v1.5')).toBe(true);
    expect(isRepoId('a/b/c')).toBe(false);
    expect(isRepoId('-a/b')).toBe(false);
    expect(isCommit(COMMIT)).toBe(true);
    expect(isCommit('main')).toBe(false);
    expect(isCommit(COMMIT.toUpperCase())).toBe(false);
  });
});
