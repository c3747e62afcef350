import { useCatalog } from '../shared/catalog-store';
import { useRun } from '../shared/run-store';
import { useTry } from './try-store';
import { formatBytes } from '../shared/format';
import { addOwnBase, addOwnFile, selectBase, selectedBase, tryBases } from './try';
import { Badge, Button } from '../shared/ui';

/** Which base model GGUF the adapter runs on: the catalog's, or the user's own. */
export function TryBasePicker() {
  // Re-render when the catalog, the result or the user's bases change.
  useCatalog((s) => s.catalog);
  useRun((s) => s.result);
  useTry((s) => s.ownBases);
  useTry((s) => s.baseId);
  const ownInput = useTry((s) => s.ownInput);
  const bases = tryBases();
  const current = selectedBase();
  return (
    <fieldset className="flex flex-col gap-2">
      <legend className="mb-1 text-sm font-medium">Base model</legend>
      <select
        className="rounded-lg border border-zinc-300 bg-white px-2 py-1.5 text-sm dark:border-zinc-700 dark:bg-zinc-800"
        value={current?.id ?? ''}
        data-testid="try-base"
        aria-label="Base model"
        onChange={(e) => selectBase(e.target.value)}
      >
        {bases.map((b) => (
          <option key={b.id} value={b.id}>
            {b.label}
            {b.size ? ` · ${formatBytes(b.size)}` : ''}
          </option>
        ))}
      </select>
      {current && (
        <p className="text-xs text-zinc-500 dark:text-zinc-400" data-testid="try-base-note">
          {current.gated && <Badge tone="amber">gated: uses your token</Badge>} {current.note}
        </p>
      )}
      <details className="text-sm">
        <summary className="cursor-pointer text-zinc-600 dark:text-zinc-300">Your own GGUF</summary>
        <form
          className="mt-2 flex gap-2"
          onSubmit={(e) => {
            e.preventDefault();
            addOwnBase(ownInput);
          }}
        >
          <input
            className="min-w-0 flex-1 rounded-lg border border-zinc-300 bg-white px-2 py-1.5 text-sm dark:border-zinc-700 dark:bg-zinc-800"
            placeholder="https://…/model.gguf or owner/repo/model.gguf"
            aria-label="GGUF URL or Hub path"
            data-testid="try-own-input"
            value={ownInput}
            onChange={(e) => useTry.setState({ ownInput: e.target.value })}
          />
          <Button type="submit">Use</Button>
        </form>
        <label className="mt-2 block text-zinc-600 dark:text-zinc-300">
          or a file:{' '}
          <input
            type="file"
            accept=".gguf"
            data-testid="try-own-file"
            className="text-sm"
            onChange={(e) => {
              const file = e.target.files?.[0];
              if (file) addOwnFile(file);
              e.target.value = '';
            }}
          />
        </label>
      </details>
    </fieldset>
  );
}
