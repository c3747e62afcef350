/** The T2LError a call must end in: fails the test when it succeeds or throws anything else. */
import { expect } from 'vitest';
import { T2LError } from '../../src/core/errors';

export async function refusal(p: Promise<unknown> | (() => unknown)): Promise<T2LError> {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (e) {
    expect(e).toBeInstanceOf(T2LError);
    return e as T2LError;
  }
  throw new Error('expected a T2LError, but it succeeded');
}
