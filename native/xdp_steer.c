// tsvs_xdp: the XDP program of the AF_XDP backend (src/io/afxdp.ts), compiled with
// clang -target bpf at build time. It steers to the device's XSK socket exactly
// the frames the nftables fence (src/router/fence.ts) keeps from the kernel, and
// passes everything else to the kernel, ARP included (the port reads ARP through a
// small AF_PACKET tap, since XDP cannot both pass a frame and copy it):
//   - IPv4 to an owned address (a VIP, the NAT router address): map `owned`
//   - IPv4 NAT replies: destination not one of the kernel's own addresses (`local`)
//     and source address . port of a NAT real server (`nat_tcp`, `nat_udp`), or source
//     address of a firewall-mark NAT server (`nat_any`, TCP or UDP).
//   - everything, when the `all` map holds key 0 (tests; a device given wholly to tsvs).
// The four address maps are shared by every device's program and filled from user
// space as the fence's sets change. A frame is redirected to the XSK bound to its
// receive queue; with none there (the port not open yet) bpf_redirect_map's flags
// make it XDP_PASS, and the fence drops it as before.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/in.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

struct addr_port { __u32 addr; __u16 port; __u16 pad; };

struct { __uint(type, BPF_MAP_TYPE_XSKMAP); __uint(max_entries, 64); __type(key, __u32); __type(value, __u32); } xsks SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_HASH); __uint(max_entries, 65536); __type(key, __u32); __type(value, __u8); } owned SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_HASH); __uint(max_entries, 4096); __type(key, __u32); __type(value, __u8); } local SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_HASH); __uint(max_entries, 262144); __type(key, struct addr_port); __type(value, __u8); } nat_tcp SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_HASH); __uint(max_entries, 262144); __type(key, struct addr_port); __type(value, __u8); } nat_udp SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_HASH); __uint(max_entries, 65536); __type(key, __u32); __type(value, __u8); } nat_any SEC(".maps");
// Key 0 present: steer every frame (a device given wholly to the router, the port tests).
struct { __uint(type, BPF_MAP_TYPE_HASH); __uint(max_entries, 1); __type(key, __u32); __type(value, __u8); } all SEC(".maps");

static __always_inline int steer(struct xdp_md *ctx) {
  return bpf_redirect_map(&xsks, ctx->rx_queue_index, XDP_PASS);
}

SEC("xdp")
int tsvs_steer(struct xdp_md *ctx) {
  void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
  struct ethhdr *eth = data;
  __u32 zero = 0;
  if (bpf_map_lookup_elem(&all, &zero)) return steer(ctx);
  if ((void *)(eth + 1) > end || eth->h_proto != bpf_htons(ETH_P_IP)) return XDP_PASS;
  struct iphdr *ip = (void *)(eth + 1);
  if ((void *)(ip + 1) > end || ip->ihl < 5) return XDP_PASS;
  __u32 dst = ip->daddr, src = ip->saddr;
  if (bpf_map_lookup_elem(&owned, &dst)) return steer(ctx);
  if (ip->protocol != IPPROTO_TCP && ip->protocol != IPPROTO_UDP) return XDP_PASS;
  if (bpf_map_lookup_elem(&local, &dst)) return XDP_PASS;
  if (bpf_map_lookup_elem(&nat_any, &src)) return steer(ctx);
  if (ip->frag_off & bpf_htons(0x1fff)) return XDP_PASS;  // no ports in a later fragment (nft's match fails the same way)
  __u16 *ports = (void *)ip + ip->ihl * 4;
  if ((void *)(ports + 1) > end) return XDP_PASS;
  struct addr_port k = { .addr = src, .port = *ports, .pad = 0 };
  if (bpf_map_lookup_elem(ip->protocol == IPPROTO_TCP ? (void *)&nat_tcp : (void *)&nat_udp, &k)) return steer(ctx);
  return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
