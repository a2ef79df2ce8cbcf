// Splits one lvs.cf line into tokens. Piranha's tokenizeString() splits on blanks
// and lets a token start with " or ' and run to the matching quote; we do the same
// and decode, in quoted values, the escapes nanny's convert_str() decodes in
// send/expect strings: \n \r \t \\ \' \" (Piranha decodes them in nanny, so only
// send/expect saw them; tsvs decodes every quoted value alike, so that a quote or a
// newline can be written in any of them). Any other backslash pair is kept as
// written (backslash included), so that a value like "C:\data" or a regex such as
// "^OK \d+\." survives a write/parse round trip unchanged. Unquoted send/expect
// values are decoded by the parser (decodeEscapes), as nanny would.
// `#` starts a comment anywhere outside quotes (Piranha only allowed it at the
// start of a line; a trailing comment is a tsvs convenience).

export interface Token {
  /** Decoded text (quotes removed, escapes applied). */
  readonly text: string;
  readonly quoted: boolean;
}

export interface LexedLine {
  readonly tokens: Token[];
  /** Trailing comment including the `#`, or null. */
  readonly comment: string | null;
}

const ESCAPES: Record<string, string> = { n: '\n', r: '\r', t: '\t', '\\': '\\', "'": "'", '"': '"' };

/** Applies the escapes above to text read without quotes (nanny's convert_str on an unquoted send/expect). */
export function decodeEscapes(text: string): string {
  return text.replace(/\\(.)/g, (pair, e: string) => ESCAPES[e] ?? pair);
}

function isBlank(c: string): boolean {
  return c === ' ' || c === '\t';
}

/** Returns the tokens of a line, or an error message (BADQUOTING). */
export function lexLine(line: string): LexedLine | { error: string } {
  const tokens: Token[] = [];
  let comment: string | null = null;
  let i = 0;
  while (i < line.length) {
    const c = line[i];
    if (isBlank(c)) {
      i++;
      continue;
    }
    if (c === '#') {
      comment = line.slice(i);
      break;
    }
    if (c === '"' || c === "'") {
      let j = i + 1;
      let text = '';
      let closed = false;
      while (j < line.length) {
        const d = line[j];
        if (d === '\\' && j + 1 < line.length) {
          const e = line[j + 1];
          text += ESCAPES[e] ?? d + e;
          j += 2;
          continue;
        }
        j++;
        if (d === c) {
          closed = true;
          break;
        }
        text += d;
      }
      if (!closed) return { error: `unterminated ${c === '"' ? 'double' : 'single'}-quoted value` };
      if (j < line.length && !isBlank(line[j]) && line[j] !== '#') {
        return { error: `a quoted value must be followed by a blank, found "${line[j]}"` };
      }
      tokens.push({ text, quoted: true });
      i = j;
      continue;
    }
    let j = i;
    while (j < line.length && !isBlank(line[j]) && line[j] !== '#') j++;
    tokens.push({ text: line.slice(i, j), quoted: false });
    i = j;
  }
  return { tokens, comment };
}

/** Quotes a value for writing when reading it back unquoted would change it. */
export function quoteToken(text: string, always = false): string {
  if (!always && text !== '' && !/[\s#"'\\{}=[\]]/.test(text)) return text;
  return `"${text.replace(/[\\"\n\r\t]/g, (c) => (c === '\n' ? '\\n' : c === '\r' ? '\\r' : c === '\t' ? '\\t' : `\\${c}`))}"`;
}
