// The idle fast path's note of a device's last raw heartbeat body: 63 bits of its digest kept as
// two small integers on the record (16 bytes a device, where the digest as a string took 48).
// A false match needs the same device's next body to agree on all 63 bits; it would only record
// that device's time without reading its body (the device and its credential are checked anyway).

// A digest is binary-encoded (one character a byte), at least 8 bytes.

/** Bits 0-30 of the first four bytes: never negative, so -1 means "no hash". */
export function hiOf(digest: string): number {
  return (digest.charCodeAt(0) | (digest.charCodeAt(1) << 8) | (digest.charCodeAt(2) << 16) | (digest.charCodeAt(3) << 24)) & 0x7fffffff;
}

/** The next four bytes as a signed 32-bit integer. */
export function loOf(digest: string): number {
  return digest.charCodeAt(4) | (digest.charCodeAt(5) << 8) | (digest.charCodeAt(6) << 16) | (digest.charCodeAt(7) << 24);
}
