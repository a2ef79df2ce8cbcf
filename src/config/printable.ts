// Text from files and the network reaches terminals inside messages. A binary
// "config" would send raw escape sequences (clear the screen, retitle the
// window, hide text) through `tsvs check`'s errors. printable() escapes the
// C0 and C1 controls, DEL, and the bidi overrides that reorder what is shown.
const UNPRINTABLE = /[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
/** The same but line breaks and tabs, for messages of several lines. */
const UNPRINTABLE_BUT_LINES = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

const escapeOne = (c: string): string => {
  const n = c.charCodeAt(0);
  return n <= 0xff ? `\\x${n.toString(16).padStart(2, '0')}` : `\\u${n.toString(16).padStart(4, '0')}`;
};

/** The text with every control character written as \xNN (\uNNNN above 0xff); with `lines`, \n and \t stay. */
export function printable(text: string, lines = false): string {
  return text.replace(lines ? UNPRINTABLE_BUT_LINES : UNPRINTABLE, escapeOne);
}
