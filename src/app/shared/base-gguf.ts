/** A catalog entry's base-model GGUF field (`baseGguf`) and its check, read by catalog.ts. */

export interface BaseGguf {
  /** Hugging Face repo id, with `file` inside it at `revision` (default main). */
  hub?: string;
  file?: string;
  revision?: string;
  /** Or a URL, absolute or relative to the app. */
  url?: string;
  /** Bytes of the .gguf file. */
  size: number;
  /** e.g. Q4_K_M. */
  quantization?: string;
  /** The repository needs an accepted licence: requests carry the token from Settings. */
  gated?: boolean;
  /** One honest sentence for the UI (size, what machine it needs). */
  note?: string;
}

/** Checks one entry's baseGguf; throws naming the field. */
export function checkBaseGguf(value: unknown, where: string): void {
  if (value === undefined) return;
  const b = value as Partial<BaseGguf> | null;
  const fail = (why: string): never => {
    throw new Error(
      `models/catalog.json: ${where}.baseGguf${why.startsWith('.') ? '' : ' '}${why}`,
    );
  };
  if (!b || typeof b !== 'object') fail('must be an object');
  if (!b!.url && !(b!.hub && b!.file)) fail('needs url, or hub + file');
  if (typeof b!.size !== 'number' || !Number.isSafeInteger(b!.size) || b!.size <= 0) {
    fail(`.size must be a positive number of bytes, found ${String(b!.size)}`);
  }
  if (b!.file !== undefined && !/\.gguf$/i.test(b!.file)) fail(`.file must be a .gguf file`);
}
