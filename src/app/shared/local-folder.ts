/**
 * A checkpoint or package folder from the user's disk: picked with a folder input or dropped on
 * the page. Files are keyed by their path inside the folder; nothing is read until generation.
 */

export interface LocalFolder {
  label: string;
  files: Record<string, File>;
}

/** Paths relative to the picked folder: a folder input prefixes them with the folder's name. */
export function folderFromFileList(list: FileList | File[]): LocalFolder {
  const files = Array.from(list);
  const paths = files.map((f) => f.webkitRelativePath || f.name);
  const first = paths[0]?.split('/')[0] ?? '';
  const shared =
    paths.length > 0 && paths.every((p) => p.includes('/') && p.split('/')[0] === first);
  const out: Record<string, File> = {};
  files.forEach((f, i) => {
    out[shared ? paths[i]!.slice(first.length + 1) : paths[i]!] = f;
  });
  return {
    label: shared ? first : files.length === 1 ? files[0]!.name : `${files.length} files`,
    files: out,
  };
}

function fileOf(entry: FileSystemFileEntry): Promise<File> {
  return new Promise((resolve, reject) => entry.file(resolve, reject));
}

async function entriesOf(dir: FileSystemDirectoryEntry): Promise<FileSystemEntry[]> {
  const reader = dir.createReader();
  const all: FileSystemEntry[] = [];
  // readEntries returns at most ~100 entries per call; call until it returns none.
  for (;;) {
    const batch = await new Promise<FileSystemEntry[]>((resolve, reject) =>
      reader.readEntries(resolve, reject),
    );
    if (batch.length === 0) return all;
    all.push(...batch);
  }
}

async function walk(
  entry: FileSystemEntry,
  prefix: string,
  out: Record<string, File>,
  depth: number,
) {
  if (entry.isFile) {
    out[prefix + entry.name] = await fileOf(entry as FileSystemFileEntry);
  } else if (entry.isDirectory && depth < 4) {
    for (const child of await entriesOf(entry as FileSystemDirectoryEntry)) {
      await walk(child, `${prefix}${entry.name}/`, out, depth + 1);
    }
  }
}

/** A dropped folder (its files become the folder's contents) or a set of dropped files. */
export async function folderFromDrop(data: DataTransfer): Promise<LocalFolder | null> {
  const entries = Array.from(data.items)
    .map((item) => item.webkitGetAsEntry?.())
    .filter((e): e is FileSystemEntry => Boolean(e));
  if (entries.length === 1 && entries[0]!.isDirectory) {
    const files: Record<string, File> = {};
    for (const child of await entriesOf(entries[0] as FileSystemDirectoryEntry)) {
      await walk(child, '', files, 1);
    }
    return { label: entries[0]!.name, files };
  }
  if (data.files.length > 0) return folderFromFileList(data.files);
  return null;
}
