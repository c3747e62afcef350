/**
 * The CLI's Hub settings (HF_ENDPOINT, HF_TOKEN, HF_HOME / HF_HUB_CACHE, HF_HUB_OFFLINE) and its
 * download progress on stderr: one line per file when it starts and ends, and a percentage at
 * most once a second in between (so logs stay short and a terminal shows it moving).
 */
import { hubSettingsFromEnv, type HubProgress, type HubSettings } from '../node/hub-cache';

function mb(bytes: number): string {
  return `${(bytes / 1e6).toFixed(bytes < 1e7 ? 2 : 1)} MB`;
}

/** A progress printer writing to `out` (stderr by default). */
export function progressPrinter(
  out: (line: string) => void = (line) => process.stderr.write(`${line}\n`),
): (p: HubProgress) => void {
  const last = new Map<string, number>();
  return (p) => {
    if (p.cached) return;
    const now = performance.now();
    const seen = last.get(p.file);
    if (p.done) {
      last.delete(p.file);
      out(`downloaded ${p.file} (${mb(p.total)})`);
      return;
    }
    if (seen === undefined) {
      last.set(p.file, now);
      out(`downloading ${p.file} (${mb(p.total)})`);
      return;
    }
    if (now - seen >= 1000) {
      last.set(p.file, now);
      const pct = p.total > 0 ? Math.floor((100 * p.loaded) / p.total) : 100;
      out(`  ${p.file}: ${pct}% (${mb(p.loaded)} of ${mb(p.total)})`);
    }
  };
}

/** The Hub settings from this process's environment, with progress on stderr. */
export function cliHubSettings(): HubSettings {
  return hubSettingsFromEnv(process.env, progressPrinter());
}
