/**
 * A small protobuf text-format parser for the tests (independent of the writer in src/server):
 * fields `name: value`, sub-messages `name { ... }` / `name: { ... }`, lists `name: [a, b]`,
 * strings with C escapes (octal bytes included), numbers, enum identifiers and `#` comments.
 * Every field maps to the list of its values (repeated fields and lists alike).
 */
export type PbValue = string | number | PbMessage;
export interface PbMessage {
  [field: string]: PbValue[];
}

type Token = { kind: 'ident' | 'number' | 'string' | 'punct'; value: string };

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (/\s/.test(c)) {
      i++;
    } else if (c === '#') {
      while (i < text.length && text[i] !== '\n') i++;
    } else if ('{}[]:,'.includes(c)) {
      tokens.push({ kind: 'punct', value: c });
      i++;
    } else if (c === '"') {
      const bytes: number[] = [];
      i++;
      while (text[i] !== '"') {
        if (i >= text.length) throw new Error('unterminated string');
        if (text[i] === '\\') {
          const e = text[i + 1]!;
          const simple: Record<string, number> = { n: 10, r: 13, t: 9, '"': 34, "'": 39, '\\': 92 };
          if (e in simple) {
            bytes.push(simple[e]!);
            i += 2;
          } else if (/[0-7]/.test(e)) {
            const m = /^[0-7]{1,3}/.exec(text.slice(i + 1))![0];
            bytes.push(parseInt(m, 8));
            i += 1 + m.length;
          } else if (e === 'x') {
            const m = /^[0-9a-fA-F]{1,2}/.exec(text.slice(i + 2))![0];
            bytes.push(parseInt(m, 16));
            i += 2 + m.length;
          } else {
            throw new Error(`unknown escape \\${e}`);
          }
        } else {
          const cp = text.codePointAt(i)!;
          bytes.push(...new TextEncoder().encode(String.fromCodePoint(cp)));
          i += cp > 0xffff ? 2 : 1;
        }
      }
      i++;
      tokens.push({
        kind: 'string',
        value: new TextDecoder('utf-8', { fatal: true }).decode(new Uint8Array(bytes)),
      });
    } else {
      const m = /^-?[\w.]+/.exec(text.slice(i));
      if (!m) throw new Error(`unexpected ${JSON.stringify(c)} at ${i}`);
      tokens.push({ kind: /^-?\d/.test(m[0]) ? 'number' : 'ident', value: m[0] });
      i += m[0].length;
    }
  }
  return tokens;
}

export function parsePbtxt(text: string): PbMessage {
  const tokens = tokenize(text);
  let at = 0;
  const peek = () => tokens[at];
  const take = (value?: string) => {
    const t = tokens[at++];
    if (!t || (value !== undefined && t.value !== value)) {
      throw new Error(`expected ${value ?? 'a token'}, found ${t?.value ?? 'end of input'}`);
    }
    return t;
  };
  const scalar = (): PbValue => {
    const t = take();
    if (t.kind === 'string') {
      let s = t.value;
      // Adjacent string literals concatenate.
      while (peek()?.kind === 'string') s += take().value;
      return s;
    }
    if (t.kind === 'number') return Number(t.value);
    if (t.kind === 'ident') return t.value;
    throw new Error(`unexpected ${t.value}`);
  };
  const value = (): PbValue => {
    if (peek()?.value === '{') {
      take('{');
      const m = message('}');
      take('}');
      return m;
    }
    return scalar();
  };
  const message = (end?: string): PbMessage => {
    const m: PbMessage = {};
    while (at < tokens.length && peek()!.value !== end) {
      const name = take();
      if (name.kind !== 'ident') throw new Error(`expected a field name, found ${name.value}`);
      if (peek()?.value === ':') take(':');
      const list = (m[name.value] ??= []);
      if (peek()?.value === '[') {
        take('[');
        while (peek()?.value !== ']') {
          list.push(value());
          if (peek()?.value === ',') take(',');
        }
        take(']');
      } else {
        list.push(value());
      }
      if (peek()?.value === ',' || peek()?.value === ';') take();
    }
    return m;
  };
  const root = message();
  if (at !== tokens.length) throw new Error(`trailing input at token ${at}`);
  return root;
}
