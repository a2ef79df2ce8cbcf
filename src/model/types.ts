// The virtual-service table as IPVS holds it: services keyed by protocol + VIP +
// port or by firewall mark, each with its real servers. Plain readonly data; a
// table is built and validated once (table.ts) and never mutated afterwards.

export const PROTO_ICMP = 1;
export const PROTO_TCP = 6;
export const PROTO_UDP = 17;

export type Protocol = 'tcp' | 'udp';
/** nat = ipvsadm -m (masquerading), dr = -g (gatewaying), tunnel = -i (ipip). */
export type ForwardMethod = 'nat' | 'dr' | 'tunnel';
/** A tunnel server's encapsulation (ipvsadm --tun-type, keepalived tunnel_type): IP-in-IP, GUE (RFC draft, over UDP) or GRE. */
export type TunnelType = 'ipip' | 'gue' | 'gre';
/** The outer checksum (--tun-nocsum / --tun-csum / --tun-remcsum): GUE's UDP checksum, GRE's optional one; remcsum is GUE only. */
export type TunnelCsum = 'none' | 'csum' | 'remcsum';

export interface RealServer {
  /** Name from lvs.cf (`server NAME {}`), or the address text. */
  readonly name: string;
  readonly address: number;
  /** IPv6: the address in canonical RFC 5952 text (and `address` is 0); absent for IPv4. */
  readonly address6?: string;
  /** Destination port; for NAT it may differ from the service port. 0 = keep the packet's. */
  readonly port: number;
  /** 0..65535; 0 = quiesced: no new connections, existing ones continue. */
  readonly weight: number;
  readonly forward: ForwardMethod;
  /** ipvsadm -x: the server is overloaded when active+inactive >= upper (0 = no limit). */
  readonly upperThreshold: number;
  /** ipvsadm -y: overload clears below this (0 = 3/4 of upper). */
  readonly lowerThreshold: number;
  /** Tunnel servers only: the encapsulation (absent = ipip), GUE's UDP port, the checksum mode (absent = none). */
  readonly tunnelType?: TunnelType;
  readonly tunnelPort?: number;
  readonly tunnelCsum?: TunnelCsum;
}

export interface VirtualService {
  readonly name: string;
  readonly protocol: Protocol;
  /** VIP; 0 for a firewall-mark service. */
  readonly address: number;
  /** IPv6: the address in canonical RFC 5952 text (and `address` is 0); absent for IPv4. */
  readonly address6?: string;
  /** Service port; 0 for a firewall-mark service. */
  readonly port: number;
  /** Firewall mark; 0 = keyed by protocol + VIP + port. */
  readonly fwmark: number;
  /** A firewall-mark service of IPv6 packets (ipvsadm -f MARK -6); absent = IPv4. */
  readonly family6?: true;
  /** ipvsadm scheduler name (rr, wlc, ...). */
  readonly scheduler: string;
  /** Scheduler flags as ipvsadm -b spells them (sh-fallback, sh-port, ...). */
  readonly schedFlags: readonly string[];
  /** Persistence timeout in seconds; 0 = not persistent. */
  readonly persistence: number;
  /** Persistence netmask applied to the client address (ipvsadm -M). */
  readonly persistMask: number;
  /** One-packet scheduling for UDP (ipvsadm -o). */
  readonly onePacket: boolean;
  readonly servers: readonly RealServer[];
}

/** An address the router owns and answers ARP for: a VIP or the NAT router address. */
export interface OwnedAddress {
  readonly address: number;
  /** IPv6: the address in canonical RFC 5952 text (and `address` is 0); absent for IPv4. */
  readonly address6?: string;
  /** 0..32, or 0..128 for IPv6. */
  readonly prefixLen: number;
  /** Device as lvs.cf names it without the alias (`eth0:1` -> `eth0`). */
  readonly device: string;
  readonly role: 'vip' | 'nat_router';
}

/** Connection timeouts in seconds as `ipvsadm --set tcp tcpfin udp` sets them; 0 = default. */
export interface Timeouts {
  readonly tcp: number;
  readonly tcpfin: number;
  readonly udp: number;
}

/**
 * A firewall-mark rule: the kernel sets marks after AF_PACKET has seen a frame,
 * so tsvs classifies them itself, like `iptables -t mangle -A PREROUTING -p tcp
 * -d VIP/32 --dport 80 -j MARK --set-mark 80`. Rules are applied in order and,
 * as MARK does not stop the chain, the last matching rule's mark wins.
 */
export interface MarkRule {
  /** 'tcp', 'udp', or 'all' (any protocol). */
  readonly protocol: Protocol | 'all';
  readonly address: number;
  /** An ip6tables rule's destination network (canonical text; `address` is 0); absent for IPv4. */
  readonly address6?: string;
  readonly prefixLen: number;
  /** Destination port range, inclusive; 0..65535 matches any. */
  readonly portLo: number;
  readonly portHi: number;
  readonly mark: number;
  /** Where the rule came from (file:line), for messages. */
  readonly origin: string;
}

/** IPVS sysctls tsvs honours (net.ipv4.vs.*), with the kernel's defaults. */
export interface Switches {
  /** 1 (default): reschedule a reused client port when the old connection is done. */
  readonly connReuseMode: number;
  /** 1: drop a connection's packet and the connection when its real server is gone. */
  readonly expireNodestConn: boolean;
  /** 1: a persistence template to a quiesced (weight 0) server is expired. */
  readonly expireQuiescentTemplate: boolean;
  /** Flood defences (engine/defense.ts): 0 off, 1 automatic (on while free entries < amemthresh; reads 2 then), 3 always. */
  readonly dropEntry: number;
  readonly dropPacket: number;
  readonly secureTcp: number;
  /** SYN proxy with SYN cookies for NAT TCP services (tsvs, as DPVS's synproxy): same modes; not built yet (noted as not acted on). */
  readonly synProxy: number;
  /** Free connection entries under which the automatic modes act; 0: 1/16 of the table. */
  readonly amemthresh: number;
  /** drop_packet = 3: one new connection in am_droprate is refused. */
  readonly amDroprate: number;
  /** sloppy_tcp = 1: any TCP segment without RST may open a connection, not only a SYN (flows picked up mid-stream). */
  readonly sloppyTcp?: boolean;
  /** ip_vs_ftp's `ports`: NAT TCP services on these ports get the FTP helper; absent: [21], as the module loads. */
  readonly ftpPorts?: readonly number[];
}

export interface ServiceTable {
  /** Increases with every table built, so a swap can be told from the last one. */
  readonly version: number;
  readonly services: readonly VirtualService[];
  readonly addresses: readonly OwnedAddress[];
  readonly timeouts: Timeouts;
  /** Firewall-mark rules (empty when no service uses marks). */
  readonly marks: readonly MarkRule[];
  readonly switches: Switches;
  /**
   * The addresses are not claimed: this router is the inactive one of a pair
   * (failover). The data plane answers no ARP for them and announces none, and
   * asks for its neighbours from 0.0.0.0; absent means claimed.
   */
  readonly released?: boolean;
}
