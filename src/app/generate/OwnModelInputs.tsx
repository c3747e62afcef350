import { useState, type FormEvent } from 'react';
import { folderFromFileList } from '../shared/local-folder';
import { useCatalog } from '../shared/catalog-store';
import { addModelLocation, openLocalFolder } from '../shared/models';
import { Button } from '../shared/ui';

/** "Your own" models: a URL or Hub path to add, and folder/file pickers for local folders. */
export function AddLocation() {
  const [value, setValue] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [added, setAdded] = useState<string | null>(null);
  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    try {
      setAdded(addModelLocation(value));
      setValue('');
      setError(null);
    } catch (err) {
      setAdded(null);
      setError(err instanceof Error ? err.message : String(err));
    }
  };
  return (
    <form onSubmit={onSubmit} className="flex flex-col gap-1.5">
      <div className="flex gap-2">
        <label htmlFor="model-url" className="sr-only">
          Package or checkpoint location
        </label>
        <input
          id="model-url"
          value={value}
          onChange={(e) => setValue(e.target.value)}
          aria-invalid={error ? true : undefined}
          aria-describedby="model-url-status"
          placeholder="https://…/package/  or  owner/repo/folder"
          className="min-w-0 flex-1 rounded-lg border border-zinc-300 bg-white px-3 py-1.5 text-sm placeholder:text-zinc-400 focus:border-indigo-500 focus:ring-2 focus:ring-indigo-500/30 focus:outline-none dark:border-zinc-700 dark:bg-zinc-950"
        />
        <Button type="submit">Add</Button>
      </div>
      <p id="model-url-status" role="status" data-testid="model-url-status" className="text-xs">
        {error && <span className="text-red-700 dark:text-red-400">{error}</span>}
        {added && !error && (
          <span className="text-emerald-700 dark:text-emerald-400">
            Added “{added}” under Your own and selected it. Its files are checked when you generate.
          </span>
        )}
      </p>
    </form>
  );
}

export function LocalPickers() {
  const dirProps = { webkitdirectory: '', directory: '' } as Record<string, string>;
  return (
    <div className="flex flex-wrap items-center gap-2">
      <label className="inline-flex cursor-pointer items-center gap-2 rounded-lg border border-zinc-300 bg-white px-3 py-1.5 text-sm font-medium text-zinc-800 hover:bg-zinc-50 has-[:focus-visible]:outline-2 has-[:focus-visible]:outline-indigo-500 dark:border-zinc-700 dark:bg-zinc-800 dark:text-zinc-100 dark:hover:bg-zinc-700">
        Open folder…
        <input
          type="file"
          multiple
          {...dirProps}
          className="sr-only"
          data-testid="folder-input"
          onChange={(e) => {
            if (e.target.files?.length) openLocalFolder(folderFromFileList(e.target.files));
            e.target.value = '';
          }}
        />
      </label>
      <label className="inline-flex cursor-pointer items-center gap-2 rounded-lg px-2 py-1.5 text-sm text-zinc-600 hover:text-zinc-900 has-[:focus-visible]:outline-2 has-[:focus-visible]:outline-indigo-500 dark:text-zinc-300 dark:hover:text-white">
        Open files…
        <input
          type="file"
          multiple
          className="sr-only"
          data-testid="files-input"
          onChange={(e) => {
            if (e.target.files?.length) openLocalFolder(folderFromFileList(e.target.files));
            e.target.value = '';
          }}
        />
      </label>
      <span className="text-xs text-zinc-500 dark:text-zinc-400">or drop a folder on the page</span>
      <FolderProblem />
    </div>
  );
}

/** What is wrong with the picked folder, shown as soon as it is picked. */
function FolderProblem() {
  const problem = useCatalog((s) => s.localProblem);
  if (!problem) return null;
  return (
    <div
      role="alert"
      data-testid="folder-problem"
      className="w-full rounded-lg bg-red-50 p-2.5 text-xs text-red-900 dark:bg-red-950/50 dark:text-red-200"
    >
      <p className="font-semibold">{problem.title}</p>
      <p className="mt-1 font-mono [overflow-wrap:anywhere]">{problem.message}</p>
      <p className="mt-1">{problem.hint}</p>
    </div>
  );
}
