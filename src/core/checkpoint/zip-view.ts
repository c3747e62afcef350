import { inflateSync } from 'fflate';
import { crc32 } from './crc32';

/** A member would inflate past the budget: the file is well-formed but refused. */
export class ZipBudgetError extends Error {}

/**
 * The archive is damaged or inconsistent: a member's CRC-32 does not match its bytes, its local
 * header disagrees with its central directory entry, or two members' data overlap.
 */
export class ZipIntegrityError extends Error {}

/** Two copies of one member (see zipMembers): readers would disagree on which is the member. */
export class ZipAmbiguityError extends Error {}

const hex = (n: number) => '0x' + n.toString(16).padStart(8, '0');

/**
 * Reads the members of a zip archive without copying them: a stored (uncompressed) member, which is
 * all torch.save writes, comes back as a view into `bytes`; a deflated one is inflated into its own
 * buffer. So a checkpoint's tensors can alias the file itself, and reading a 1 GB .pt costs no
 * second gigabyte. Reads the central directory, with zip64 sizes and offsets where present.
 * Deflated members are inflated only within `maxInflatedBytes` in total (default: 4 × the file's
 * size), checked against their declared sizes before anything is allocated, so a small file cannot
 * make the reader allocate or inflate gigabytes (a zip bomb).
 * Integrity, checked as torch.load (miniz) does and more: each member's local header must agree with
 * its central directory entry (signature, compression method, name bytes, CRC-32 and sizes unless a
 * data descriptor carries them), every member's header + data must lie inside the file before the
 * central directory and overlap no other member's (checked for all members, read or not), and each
 * member read has its CRC-32 checked (once, over the stored bytes in place or the inflated ones).
 * Ambiguity is refused as damage: two central directory entries of one name, or a local header
 * outside every listed member (a gap) that names a member, since readers disagree on which copy
 * is the member (of two directory entries, miniz, so torch.load, takes the first, a reader keyed
 * by name the last; a hidden local header is what a streaming reader meets, while torch.load reads
 * the copy the central directory lists).
 * Throws plain Errors (the caller words them for the user): ZipBudgetError, ZipIntegrityError,
 * ZipAmbiguityError, Error.
 */
export function zipMembers(
  bytes: Uint8Array,
  wanted: (name: string) => boolean = () => true,
  options: { maxInflatedBytes?: number } = {},
): Record<string, Uint8Array> {
  const budget = options.maxInflatedBytes ?? 4 * bytes.length;
  let inflatedBytes = 0;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const u16 = (at: number) => view.getUint16(at, true);
  const u32 = (at: number) => view.getUint32(at, true);
  const u64 = (at: number) => u32(at) + u32(at + 4) * 2 ** 32;
  const need = (at: number, n: number, what: string) => {
    if (at < 0 || at + n > bytes.length) throw new Error(`${what} lies past the end of the file`);
  };

  // End of central directory: 22 bytes plus a comment of at most 65535 bytes, at the very end.
  let eocd = -1;
  for (let at = bytes.length - 22; at >= Math.max(0, bytes.length - 22 - 0xffff); at--) {
    if (u32(at) === 0x06054b50) {
      eocd = at;
      break;
    }
  }
  if (eocd < 0) throw new Error('no end-of-central-directory record');
  let count = u16(eocd + 10);
  let cdSize = u32(eocd + 12);
  let cdOffset = u32(eocd + 16);
  if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) {
    // zip64: the locator sits just before the classic record and points at the zip64 record.
    const locator = eocd - 20;
    need(locator, 20, 'the zip64 locator');
    if (u32(locator) !== 0x07064b50) throw new Error('zip64 sizes without a zip64 locator');
    const rec = u64(locator + 8);
    need(rec, 56, 'the zip64 end-of-central-directory record');
    if (u32(rec) !== 0x06064b50) throw new Error('bad zip64 end-of-central-directory record');
    count = u64(rec + 32);
    cdSize = u64(rec + 40);
    cdOffset = u64(rec + 48);
  }
  need(cdOffset, cdSize, 'the central directory');

  const decoder = new TextDecoder();
  interface Entry {
    name: string;
    method: number;
    crc: number;
    compressed: number;
    size: number;
    /** The local header's offset, and where the member's data starts and ends. */
    local: number;
    start: number;
    end: number;
  }
  const entries: Entry[] = [];
  const names = new Set<string>();
  let at = cdOffset;
  for (let i = 0; i < count; i++) {
    need(at, 46, 'a central directory entry');
    if (u32(at) !== 0x02014b50) throw new Error(`bad central directory entry ${i}`);
    const method = u16(at + 10);
    const crc = u32(at + 16);
    let compressed = u32(at + 20);
    let size = u32(at + 24);
    const nameLength = u16(at + 28);
    const extraLength = u16(at + 30);
    const commentLength = u16(at + 32);
    let local = u32(at + 42);
    need(at + 46, nameLength + extraLength, 'a central directory entry');
    const nameBytes = bytes.subarray(at + 46, at + 46 + nameLength);
    const name = decoder.decode(nameBytes);
    // zip64 extended information: the 64-bit values, in this order, of the fields that are 0xffffffff.
    for (let e = at + 46 + nameLength; e + 4 <= at + 46 + nameLength + extraLength;) {
      const id = u16(e);
      const len = u16(e + 2);
      if (id === 0x0001) {
        let p = e + 4;
        if (size === 0xffffffff) {
          size = u64(p);
          p += 8;
        }
        if (compressed === 0xffffffff) {
          compressed = u64(p);
          p += 8;
        }
        if (local === 0xffffffff) local = u64(p);
      }
      e += 4 + len;
    }
    at += 46 + nameLength + extraLength + commentLength;
    // Two entries of one name: readers disagree on which is the member (miniz, so torch.load,
    // takes the first, a map keyed by name the last), so one file would be two checkpoints.
    if (names.has(name)) {
      throw new ZipAmbiguityError(
        `member ${name} is named twice in the central directory (readers disagree on which entry ` +
          'is the member: torch.load takes the first, a reader keyed by name the last)',
      );
    }
    names.add(name);

    // The local header must agree with the central entry.
    need(local, 30, `the local header of ${name}`);
    if (u32(local) !== 0x04034b50) {
      throw new ZipIntegrityError(
        `member ${name}: no local header signature at offset ${local} (found ${hex(u32(local))}, expected ${hex(0x04034b50)})`,
      );
    }
    const localFlags = u16(local + 6);
    const localMethod = u16(local + 8);
    if (localMethod !== method) {
      throw new ZipIntegrityError(
        `member ${name}: local header says compression method ${localMethod}, central directory says ${method}`,
      );
    }
    const localNameLength = u16(local + 26);
    const localExtraLength = u16(local + 28);
    need(local + 30, localNameLength + localExtraLength, `the local header of ${name}`);
    const localName = bytes.subarray(local + 30, local + 30 + localNameLength);
    if (localNameLength !== nameLength || localName.some((b, k) => b !== nameBytes[k])) {
      throw new ZipIntegrityError(
        `member ${name}: local header names it ${JSON.stringify(decoder.decode(localName.subarray(0, 256)))} ` +
          `(${localNameLength} bytes), central directory ${JSON.stringify(name)} (${nameLength} bytes)`,
      );
    }
    if ((localFlags & 0x08) === 0) {
      // No data descriptor: the local header carries CRC and sizes too (zip64 ones in its extra).
      let localCompressed = u32(local + 18);
      let localSize = u32(local + 22);
      if (localSize === 0xffffffff || localCompressed === 0xffffffff) {
        const x = local + 30 + localNameLength;
        for (let e = x; e + 4 <= x + localExtraLength;) {
          const len = u16(e + 2);
          if (u16(e) === 0x0001 && len >= 16) {
            localSize = u64(e + 4);
            localCompressed = u64(e + 12);
          }
          e += 4 + len;
        }
      }
      const localCrc = u32(local + 14);
      if (localCrc !== crc) {
        throw new ZipIntegrityError(
          `member ${name}: local header CRC-32 ${hex(localCrc)}, central directory ${hex(crc)}`,
        );
      }
      if (localCompressed !== compressed || localSize !== size) {
        throw new ZipIntegrityError(
          `member ${name}: local header sizes ${localCompressed} compressed / ${localSize}, ` +
            `central directory ${compressed} / ${size}`,
        );
      }
    }
    const start = local + 30 + localNameLength + localExtraLength;
    need(start, compressed, `the data of ${name}`);
    entries.push({ name, method, crc, compressed, size, local, start, end: start + compressed });
  }

  /**
   * Refuses a local header in bytes [from, to) (a gap no directory entry covers) whose name is a
   * member's: a streaming reader, which walks local headers from the start of the file instead of
   * reading the central directory, would see that copy too.
   */
  const hiddenCopy = (from: number, to: number) => {
    for (let p = from; p + 30 <= to; p++) {
      if (u32(p) !== 0x04034b50) continue;
      const n = u16(p + 26);
      if (p + 30 + n > bytes.length) continue;
      const name = decoder.decode(bytes.subarray(p + 30, p + 30 + n));
      if (names.has(name)) {
        throw new ZipAmbiguityError(
          `member ${name} has a second local header at offset ${p} that the central directory does not list ` +
            '(torch.load reads the copy the central directory lists; a streaming reader, which walks ' +
            'local headers from the start of the file, meets this one)',
        );
      }
    }
  };

  // Members' headers + data lie before the central directory and do not overlap one another.
  const byOffset = [...entries].sort((x, y) => x.local - y.local);
  hiddenCopy(0, byOffset[0]?.local ?? cdOffset);
  for (let k = 0; k < byOffset.length; k++) {
    const e = byOffset[k]!;
    const next = byOffset[k + 1];
    hiddenCopy(e.end, next?.local ?? cdOffset);
    if (next !== undefined && e.end > next.local) {
      throw new ZipIntegrityError(
        `members ${e.name} (header at ${e.local}, data ${e.start}..${e.end}) and ${next.name} ` +
          `(header at ${next.local}, data ${next.start}..${next.end}) overlap`,
      );
    }
    if (e.end > cdOffset) {
      throw new ZipIntegrityError(
        `member ${e.name}: its data (${e.start}..${e.end}) runs into the central directory at ${cdOffset}`,
      );
    }
  }

  const out: Record<string, Uint8Array> = {};
  for (const { name, method, crc, compressed, size, start } of entries) {
    if (!wanted(name)) continue;
    const data = bytes.subarray(start, start + compressed);
    let member: Uint8Array;
    if (method === 0) {
      if (compressed !== size) throw new Error(`stored member ${name} has two different sizes`);
      member = data;
    } else if (method === 8) {
      inflatedBytes += size;
      if (inflatedBytes > budget) {
        throw new ZipBudgetError(
          `deflated member ${name} declares ${size} bytes, more than this ${bytes.length}-byte file may inflate to ` +
            `(${budget} bytes in all; torch.save stores members uncompressed)`,
        );
      }
      const inflated = inflateSync(data, { out: new Uint8Array(size) });
      if (inflated.length !== size) throw new Error(`member ${name} inflates to the wrong size`);
      member = inflated;
    } else {
      throw new Error(`member ${name} uses compression method ${method}`);
    }
    const found = crc32(member);
    if (found !== crc) {
      throw new ZipIntegrityError(
        `member ${name}: CRC-32 mismatch, expected ${hex(crc)} (the central directory's), found ${hex(found)}`,
      );
    }
    out[name] = member;
  }
  return out;
}
