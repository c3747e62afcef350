import { T2LError } from '../errors';

/**
 * An error thrown by an onnxruntime session's run (node or web), as the project's error: the
 * runners share one wording so the CLI, server and app say the same thing.
 */
export function graphRunError(e: unknown): T2LError {
  const message = e instanceof Error ? e.message : String(e);
  return new T2LError('runtime', `onnxruntime could not run the graph (${message})`, { cause: e });
}
