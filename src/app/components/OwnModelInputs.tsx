import { useState, type FormEvent } from 'react';
import { folderFromFileList } from '../services/local-folder';
import { addModelLocation, openLocalFolder } from '../services/models';
import { Button } from './ui';

/** "Your own" models: a URL or Hub path to add, and folder/file pickers for local folders. */
export function AddLocation() {
  const [value, setValue] = useState('');
  const [error, setError] = useState<string | null>(null);
  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    try {
      addModelLocation(value);
      setValue('');
      setError(null);
    } catch (err) {
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
          placeholder="https://…/package/  or  owner/repo/folder"
          className="min-w-0 flex-1 rounded-lg border border-zinc-300 bg-white px-3 py-1.5 text-sm placeholder:text-zinc-400 focus:border-indigo-500 focus:ring-2 focus:ring-indigo-500/30 focus:outline-none dark:border-zinc-700 dark:bg-zinc-950"
        />
        <Button type="submit">Add</Button>
      </div>
      {error && <p className="text-xs text-red-600 dark:text-red-400">{error}</p>}
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
    </div>
  );
}
