// TCP header (RFC 9293 section 3.1). Offsets are relative to the header start (l4).

export const TCP_SPORT = 0;
export const TCP_DPORT = 2;
export const TCP_SEQ = 4;
export const TCP_ACK = 8;
/** High nibble: data offset, "the number of 32-bit words in the TCP header". */
export const TCP_DOFF = 12;
export const TCP_FLAGS = 13;
export const TCP_WINDOW = 14;
export const TCP_CSUM = 16;
export const TCP_URG = 18;
/** RFC 9293: data offset minimum 5, i.e. 20 bytes. */
export const TCP_MIN_HLEN = 20;

export const TCP_FIN = 0x01;
export const TCP_SYN = 0x02;
export const TCP_RST = 0x04;
export const TCP_PSH = 0x08;
export const TCP_ACK_FLAG = 0x10;
export const TCP_URG_FLAG = 0x20;
export const TCP_ECE = 0x40;
export const TCP_CWR = 0x80;
