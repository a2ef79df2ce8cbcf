// Classic pcap capture files: the reader and writer `tsvs replay` and the tests use.
// Our own code rather than a native libpcap binding, so replay works wherever Node does.
export * from './pcap-format.js';
export * from './pcap-reader.js';
export * from './pcap-writer.js';
