// The classic pcap file format (libpcap's savefile, draft-ietf-opsawg-pcap): the
// 24-byte global header, the 16-byte record header, and the errors of reading them.
// The reader and writer in pcap-file.ts share these so both agree byte for byte.

export const LINKTYPE_ETHERNET = 1;
/** Magic of microsecond captures; read in the writer's byte order it tells the order. */
export const PCAP_MAGIC_US = 0xa1b2c3d4;
/** Magic of nanosecond captures (tcpdump --time-stamp-precision=nano). */
export const PCAP_MAGIC_NS = 0xa1b23c4d;
/** First word of a pcapng file (Section Header Block type), which we do not read. */
export const PCAPNG_MAGIC = 0x0a0d0d0a;
export const GLOBAL_HEADER_BYTES = 24;
export const RECORD_HEADER_BYTES = 16;
/**
 * libpcap refuses records bigger than this (its MAXIMUM_SNAPLEN) whatever the
 * header's snaplen; a bigger incl_len means a corrupt file, not a jumbo frame.
 */
export const MAX_RECORD_BYTES = 262144;

export type PcapErrorCode =
  | 'PCAP_BAD_MAGIC'
  | 'PCAP_IS_PCAPNG'
  | 'PCAP_BAD_VERSION'
  | 'PCAP_NOT_ETHERNET'
  | 'PCAP_TRUNCATED'
  | 'PCAP_BAD_RECORD'
  | 'PCAP_FRAME_TOO_BIG';

/** A capture we cannot read: `code` is stable, `offset` is the byte where it went wrong. */
export class PcapError extends Error {
  constructor(
    readonly code: PcapErrorCode,
    message: string,
    readonly offset: number,
  ) {
    super(message);
    this.name = 'PcapError';
  }
}

export interface PcapHeader {
  bigEndian: boolean;
  nanosecond: boolean;
  versionMajor: number;
  versionMinor: number;
  snaplen: number;
  linkType: number;
}

// Link types people are likely to hand us by mistake, for a message that says why.
const LINKTYPE_NAMES: Record<number, string> = {
  0: 'BSD loopback',
  101: 'raw IP',
  105: '802.11',
  113: 'Linux cooked',
  127: 'radiotap',
  228: 'raw IPv4',
  276: 'Linux cooked v2',
};

/** Decodes and checks the global header at view[0..24); `source` names the file in errors. */
export function parseGlobalHeader(view: DataView, source: string): PcapHeader {
  const fail = (code: PcapErrorCode, msg: string, at: number): never => {
    throw new PcapError(code, `${source}: ${msg} at byte offset ${at}`, at);
  };
  if (view.byteLength < GLOBAL_HEADER_BYTES) {
    fail('PCAP_TRUNCATED', `truncated global header (${view.byteLength} of ${GLOBAL_HEADER_BYTES} bytes)`, 0);
  }
  // The writer stores the magic in its own byte order, so reading it little-endian
  // gives either the magic or its byte swap: that swap is how we learn the order.
  const word = view.getUint32(0, true);
  let bigEndian = false;
  let nanosecond = false;
  if (word === PCAP_MAGIC_US || word === PCAP_MAGIC_NS) {
    nanosecond = word === PCAP_MAGIC_NS;
  } else {
    const swapped = view.getUint32(0, false);
    if (swapped === PCAP_MAGIC_US || swapped === PCAP_MAGIC_NS) {
      bigEndian = true;
      nanosecond = swapped === PCAP_MAGIC_NS;
    } else if (word === PCAPNG_MAGIC) {
      fail('PCAP_IS_PCAPNG', 'this is a pcapng file, not classic pcap; convert it with `editcap -F pcap in.pcapng out.pcap`', 0);
    } else {
      fail('PCAP_BAD_MAGIC', `not a pcap file: magic 0x${word.toString(16).padStart(8, '0')}`, 0);
    }
  }
  const le = !bigEndian;
  const versionMajor = view.getUint16(4, le);
  const versionMinor = view.getUint16(6, le);
  // libpcap reads every 2.x file the same way (2.3 differs only in old writers' bugs).
  if (versionMajor !== 2) fail('PCAP_BAD_VERSION', `unsupported pcap version ${versionMajor}.${versionMinor} (want 2.4)`, 4);
  const snaplen = view.getUint32(16, le);
  const field = view.getUint32(20, le);
  // Low 16 bits are the link type; bit 27 says frames end with an FCS, which the
  // engine would take for payload.
  const linkType = field & 0xffff;
  if (linkType !== LINKTYPE_ETHERNET) {
    const name = LINKTYPE_NAMES[linkType];
    const hint =
      linkType === 113 || linkType === 276 ? '; capture with -i <device>, not -i any' : ` (want ${LINKTYPE_ETHERNET}, Ethernet)`;
    fail('PCAP_NOT_ETHERNET', `capture link type ${linkType}${name ? ` (${name})` : ''} is not Ethernet${hint}`, 20);
  }
  if (field & 0x08000000) fail('PCAP_NOT_ETHERNET', 'frames carry an Ethernet FCS, which is not supported', 20);
  return { bigEndian, nanosecond, versionMajor, versionMinor, snaplen, linkType };
}

/** Writes a little-endian Ethernet global header at view[at..at+24). */
export function encodeGlobalHeader(view: DataView, at: number, snaplen: number, nanosecond: boolean): void {
  view.setUint32(at, nanosecond ? PCAP_MAGIC_NS : PCAP_MAGIC_US, true);
  view.setUint16(at + 4, 2, true);
  view.setUint16(at + 6, 4, true);
  view.setInt32(at + 8, 0, true); // thiszone: always 0 (timestamps are UTC)
  view.setUint32(at + 12, 0, true); // sigfigs: always 0
  view.setUint32(at + 16, snaplen, true);
  view.setUint32(at + 20, LINKTYPE_ETHERNET, true);
}

/**
 * Writes a little-endian record header. The timestamp is split into whole seconds
 * and a fraction rounded to the file's precision, so a time read from a
 * microsecond file is written back to the same microsecond.
 */
export function encodeRecordHeader(
  view: DataView,
  at: number,
  tsMs: number,
  inclLen: number,
  origLen: number,
  nanosecond: boolean,
): void {
  if (!(tsMs >= 0)) throw new RangeError(`pcap timestamp must be >= 0 ms, got ${tsMs}`);
  const unit = nanosecond ? 1e9 : 1e6;
  let sec = Math.floor(tsMs / 1000);
  // tsMs - sec*1000 is exact (both within 1000 of each other), so only the scaling rounds.
  let frac = Math.round((tsMs - sec * 1000) * (unit / 1000));
  if (frac >= unit) {
    sec += 1;
    frac -= unit;
  }
  if (sec > 0xffffffff) throw new RangeError(`pcap timestamp ${tsMs} ms is past 2106`);
  view.setUint32(at, sec, true);
  view.setUint32(at + 4, frac, true);
  view.setUint32(at + 8, inclLen, true);
  view.setUint32(at + 12, origLen, true);
}
