/**
 * float32 <-> IEEE half (float16) and bfloat16, as raw 16-bit patterns.
 * Both narrowings round to nearest, ties to even, like PyTorch's `.half()` / `.bfloat16()`.
 */

function bitsOf(src: Float32Array): Uint32Array {
  return new Uint32Array(src.buffer, src.byteOffset, src.length);
}

function target(length: number, out?: Uint16Array): Uint16Array {
  if (out === undefined) return new Uint16Array(length);
  if (out.length !== length) {
    throw new RangeError(`float16: output has ${out.length} slots, need ${length}`);
  }
  return out;
}

/** The IEEE half bits of the float32 whose bits are `u`, round to nearest even. */
export function halfBits(u: number): number {
  const sign = (u >>> 16) & 0x8000;
  const exp = (u >>> 23) & 0xff;
  const mant = u & 0x7fffff;
  if (exp === 0xff) {
    // Keep the top payload bits and force the quiet bit so a NaN never turns into Inf.
    return mant === 0 ? sign | 0x7c00 : sign | 0x7e00 | (mant >>> 13);
  }
  if (exp >= 143) return sign | 0x7c00; // |x| >= 2^16: beyond every half, even after rounding
  if (exp >= 113) {
    // Normal half. A rounding carry may run into the exponent, which is exactly right (up to Inf).
    let h = ((exp - 112) << 10) | (mant >>> 13);
    const rest = mant & 0x1fff;
    if (rest > 0x1000 || (rest === 0x1000 && (h & 1) !== 0)) h++;
    return sign | h;
  }
  if (exp >= 102) {
    // Subnormal half: value = h * 2^-24. A carry into 0x400 gives the smallest normal, also right.
    const m = mant | 0x800000;
    const shift = 126 - exp;
    let h = m >>> shift;
    const rest = m & ((1 << shift) - 1);
    const half = 1 << (shift - 1);
    if (rest > half || (rest === half && (h & 1) !== 0)) h++;
    return sign | h;
  }
  return sign; // below half of the smallest subnormal: rounds to a signed zero
}

/** float32 values to IEEE float16 bit patterns. */
export function float32ToFloat16(src: Float32Array, out?: Uint16Array): Uint16Array {
  const dst = target(src.length, out);
  const bits = bitsOf(src);
  for (let i = 0; i < bits.length; i++) dst[i] = halfBits(bits[i]!);
  return dst;
}

/** float32 values to bfloat16 bit patterns (the upper half of a float32, rounded). */
export function float32ToBfloat16(src: Float32Array, out?: Uint16Array): Uint16Array {
  const dst = target(src.length, out);
  const bits = bitsOf(src);
  for (let i = 0; i < bits.length; i++) {
    const u = bits[i]!;
    if ((u & 0x7f800000) === 0x7f800000 && (u & 0x7fffff) !== 0) {
      dst[i] = (u >>> 16) | 0x0040; // truncating a NaN could clear every mantissa bit left
    } else {
      // No overflow past 2^32 here: only NaN patterns are that large, and they took the branch above.
      dst[i] = (u + 0x7fff + ((u >>> 16) & 1)) >>> 16;
    }
  }
  return dst;
}

/** IEEE float16 bit patterns to float32 (exact: every half is a float32). */
export function float16ToFloat32(src: Uint16Array): Float32Array {
  const dst = new Float32Array(src.length);
  const bits = bitsOf(dst);
  for (let i = 0; i < src.length; i++) {
    const h = src[i]!;
    const sign = (h & 0x8000) << 16;
    const exp = (h >>> 10) & 0x1f;
    const mant = h & 0x3ff;
    if (exp === 0) {
      if (mant === 0) bits[i] = sign;
      else dst[i] = (sign !== 0 ? -mant : mant) * 2 ** -24;
    } else if (exp === 0x1f) {
      bits[i] = (sign | 0x7f800000 | (mant << 13)) >>> 0;
    } else {
      bits[i] = (sign | ((exp + 112) << 23) | (mant << 13)) >>> 0;
    }
  }
  return dst;
}

/** bfloat16 bit patterns to float32 (exact). */
export function bfloat16ToFloat32(src: Uint16Array): Float32Array {
  const dst = new Float32Array(src.length);
  const bits = bitsOf(dst);
  for (let i = 0; i < src.length; i++) bits[i] = src[i]! << 16;
  return dst;
}
