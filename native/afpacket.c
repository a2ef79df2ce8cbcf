// tsvs_afpacket: AF_PACKET sockets for the tsvs data plane, as a Node-API addon.
// Syscalls only (STYLE habit 11): packets are parsed and rewritten in TypeScript.
// One call per batch: rx() copies frames out of a TPACKET_V3 ring into a Batch's
// long-lived buffer and descriptor arrays; tx() sends a batch's TX frames with
// sendmmsg. Offload state crosses in both directions as a virtio_net_hdr
// (PACKET_VNET_HDR), so 64 KB GSO super-frames pass whole (shared/LAB-NOTES.md).
#define _GNU_SOURCE
#define NAPI_VERSION 8
#include <node_api.h>
#define ROOT_HINT "(run as root)"
#include "napi-util.h"
#include <uv.h>
#include <pcap/pcap.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/virtio_net.h>
#include <net/if.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <poll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

// Must match src/frames/batch.ts.
#define VERDICT_TX 1
// Flags of open(), set by src/io/afpacket.ts.
#define F_VNET 1          // PACKET_VNET_HDR on receive and send
#define F_QDISC_BYPASS 2  // PACKET_QDISC_BYPASS: sends skip the qdisc layer
#define F_IGNORE_OUT 4    // PACKET_IGNORE_OUTGOING: do not read frames this host sends
#define F_BLOCKING 8      // sends wait for socket buffer space (traffic generators)
#define CHUNK 256         // frames per sendmmsg call
// Send buffer of a socket (SO_SNDBUFFORCE; the kernel doubles it). A sent frame's memory stays
// charged to the socket until the receiving side takes it off its backlog (for a veth, the peer's
// core): the default 208 KiB holds about 90 full-size frames or 3 GSO super-frames, and a send
// beyond it fails with EAGAIN. The kernel's forwarding path has no such limit, only the backlog's.
#define SNDBUF (16 << 20)
// When a send would block anyway (EAGAIN: the send buffer is full; ENOBUFS: the device's queue
// is), tx() waits for room, up to this much per call, rather than drop frames TCP then waits a
// retransmission timeout for. A port that used all of it skips waiting for TX_WAIT_OFF_NS, so an
// interface that stays full costs at most a few percent of the data plane's time.
#define TX_WAIT_NS 2000000L
#define TX_WAIT_OFF_NS 50000000L
#define VH sizeof(struct virtio_net_hdr)

typedef struct {
  int fd, flags;
  uint8_t *ring;  // NULL for a send-only socket
  size_t ring_len;
  unsigned block_size, blocks, cur;   // cur: the block rx() reads next
  int open_block;                     // cur is opened: next/left are valid
  struct tpacket3_hdr *next;
  unsigned left;
  double drops, truncated, oversize, tx_unsent, tx_errors, tx_waits;  // counters for stats()
  int last_tx_errno;
  int64_t no_wait_until;  // CLOCK_MONOTONIC ns: tx() gives up at once before then
  uv_poll_t poll;
  int uv_open, js_gone, closed;
  napi_env env;
  napi_ref cb;
  napi_async_context actx;
} port_t;

// A Batch seen from C: pointers into the typed arrays TS passes, in this order
// (views() in src/io/afpacket.ts): buf, off, len, ifIn, ifOut, verdict, reason,
// csumPartial, gsoType, gsoSize, hdrLen, csumStart, csumOffset.

static port_t *get_port(napi_env env, napi_value v) {
  port_t *p = NULL;
  if (napi_get_value_external(env, v, (void **)&p) != napi_ok || !p || p->closed) {
    throw_code(env, "EBADF", "packet socket is closed or not a socket handle");
    return NULL;
  }
  return p;
}

// ---- lifetime: the struct is freed once both JS (finalizer) and libuv (close callback) let go ----
static void on_uv_closed(uv_handle_t *h) {
  port_t *p = h->data;
  p->uv_open = 0;
  if (p->js_gone) free(p);
}

static void shutdown_port(port_t *p) {
  if (p->closed) return;
  p->closed = 1;
  if (p->uv_open) {
    uv_poll_stop(&p->poll);  // takes the fd out of epoll at once, so closing it below is safe
    uv_close((uv_handle_t *)&p->poll, on_uv_closed);
  }
  if (p->cb) { napi_delete_reference(p->env, p->cb); p->cb = NULL; }
  if (p->actx) { napi_async_destroy(p->env, p->actx); p->actx = NULL; }
  if (p->ring) munmap(p->ring, p->ring_len);
  p->ring = NULL;
  close(p->fd);
}

static void finalize(napi_env env, void *data, void *hint) {
  (void)env; (void)hint;
  port_t *p = data;
  shutdown_port(p);
  p->js_gone = 1;
  if (!p->uv_open) free(p);
}

// ---- open(ifname, filter|null, blockSize, blocks, flags, fanout) -> handle ----
// blocks = 0 makes a send-only socket (no ring, receives nothing). fanout < 0: none,
// else group id | mode << 16 (PACKET_FANOUT).
static napi_value js_open(napi_env env, napi_callback_info info) {
  ARGS(6, "open(ifname, filter, blockSize, blocks, flags, fanout)");
  char name[IF_NAMESIZE + 1] = {0}, filter[4096] = {0};
  size_t flen = 0;
  int32_t a[4];  // blockSize, blocks, flags, fanout
  napi_valuetype ft;
  napi_value handle;
  if (napi_get_value_string_utf8(env, argv[0], name, sizeof name, NULL) != napi_ok || ints(env, argv, 2, 4, a) ||
      a[1] < 0 || (a[1] > 0 && a[0] <= 0))
    return throw_code(env, "EINVAL", "open(ifname, filter, blockSize, blocks, flags, fanout): bad arguments");
  int block_size = a[0], blocks = a[1], flags = a[2], fanout = a[3], one = 1;
  napi_typeof(env, argv[1], &ft);
  if (ft == napi_string) napi_get_value_string_utf8(env, argv[1], filter, sizeof filter, &flen);

  unsigned ifindex = if_nametoindex(name);
  if (!ifindex) return errno == ENODEV ? throw_code(env, "ENODEV", "no such device %s", name) : throw_errno(env, errno, "if_nametoindex");
  // Protocol 0: the socket receives nothing until bind(), so no frame slips in before the filter and ring.
  int fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
  if (fd < 0) return throw_errno(env, errno, "socket(AF_PACKET)");
  port_t *p = calloc(1, sizeof *p);
  p->fd = fd;
  p->flags = flags;
  p->env = env;
  const char *fail = NULL;

  if (flen > 0) {
    // What pcap_compile_nopcap() does, keeping libpcap's error text for the exception.
    pcap_t *dead = pcap_open_dead(DLT_EN10MB, 65535);
    struct bpf_program prog;
    if (!dead || pcap_compile(dead, &prog, filter, 1, PCAP_NETMASK_UNKNOWN) < 0) {
      char why[300];
      snprintf(why, sizeof why, "%s", dead ? pcap_geterr(dead) : "pcap_open_dead failed");
      if (dead) pcap_close(dead);
      close(fd);
      free(p);
      return throw_code(env, "EINVAL", "bad filter \"%s\": %s", filter, why);
    }
    struct sock_fprog fp = { .len = (unsigned short)prog.bf_len, .filter = (struct sock_filter *)prog.bf_insns };
    int r = setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &fp, sizeof fp);
    pcap_freecode(&prog);
    pcap_close(dead);
    if (r < 0) { fail = "setsockopt(SO_ATTACH_FILTER)"; goto err; }
  }
  // The vnet header must be chosen before the ring exists.
  if ((flags & F_VNET) && setsockopt(fd, SOL_PACKET, PACKET_VNET_HDR, &one, sizeof one) < 0) { fail = "setsockopt(PACKET_VNET_HDR)"; goto err; }
  if (blocks > 0) {
    int v3 = TPACKET_V3;
    if (setsockopt(fd, SOL_PACKET, PACKET_VERSION, &v3, sizeof v3) < 0) { fail = "setsockopt(PACKET_VERSION)"; goto err; }
    // A block is handed over when full or 1 ms after its first frame (LAB-NOTES gotcha 5),
    // so the ring holds about `blocks` ms of traffic at moderate rates: TS picks many small blocks.
    struct tpacket_req3 req = {
      .tp_block_size = (unsigned)block_size, .tp_block_nr = (unsigned)blocks, .tp_frame_size = 2048,
      .tp_frame_nr = (unsigned)block_size / 2048 * (unsigned)blocks, .tp_retire_blk_tov = 1,
    };
    if (setsockopt(fd, SOL_PACKET, PACKET_RX_RING, &req, sizeof req) < 0) { fail = "setsockopt(PACKET_RX_RING)"; goto err; }
    p->ring_len = (size_t)block_size * blocks;
    p->ring = mmap(NULL, p->ring_len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (p->ring == MAP_FAILED) { p->ring = NULL; fail = "mmap(rx ring)"; goto err; }
    p->block_size = block_size;
    p->blocks = blocks;
  }
  // Optional features: an older kernel without them still works, a little slower or noisier.
  // Without CAP_NET_ADMIN, SO_SNDBUF (capped at net.core.wmem_max) is the next best.
  int sndbuf = SNDBUF;
  if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &sndbuf, sizeof sndbuf) < 0) setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
  if (flags & F_QDISC_BYPASS) setsockopt(fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof one);
  if (flags & F_IGNORE_OUT) setsockopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof one);
  // ETH_P_ALL, not ETH_P_IP: an ETH_P_IP tap misses frames the nftables fence drops (LAB-NOTES gotcha 2).
  struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_ifindex = (int)ifindex, .sll_protocol = blocks > 0 ? htons(ETH_P_ALL) : 0 };
  if (bind(fd, (struct sockaddr *)&sll, sizeof sll) < 0) { fail = "bind"; goto err; }
  if (fanout >= 0 && setsockopt(fd, SOL_PACKET, PACKET_FANOUT, &fanout, sizeof fanout) < 0) { fail = "setsockopt(PACKET_FANOUT)"; goto err; }
  if (!(flags & F_BLOCKING) && fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0) { fail = "fcntl(O_NONBLOCK)"; goto err; }
  if (napi_create_external(env, p, finalize, NULL, &handle) != napi_ok) { fail = "napi_create_external"; goto err; }
  return handle;
err: {
    int e = errno;
    if (p->ring) munmap(p->ring, p->ring_len);
    close(fd);
    free(p);
    return throw_errno(env, e, fail);
  }
}

// Copies frame h of the ring into the batch as frame i at buffer offset `at`; returns its length.
static size_t copy_frame(port_t *p, struct tpacket3_hdr *h, batch_t *b, int i, size_t at, int if_in) {
  uint8_t *src = (uint8_t *)h + h->tp_mac, *dst = b->buf + at;
  struct virtio_net_hdr vh = {0};
  if (p->flags & F_VNET) memcpy(&vh, src - VH, VH);  // the kernel writes it just before the frame
  // veth and most NICs strip the 802.1Q tag into metadata; put it back so the frame is as on the wire.
  int shift = (h->tp_status & TP_STATUS_VLAN_VALID) ? 4 : 0;
  if (shift) {
    uint16_t tpid = (h->tp_status & TP_STATUS_VLAN_TPID_VALID) ? h->hv1.tp_vlan_tpid : ETH_P_8021Q;
    memcpy(dst, src, 12);
    dst[12] = tpid >> 8, dst[13] = tpid & 0xff;
    dst[14] = h->hv1.tp_vlan_tci >> 8, dst[15] = h->hv1.tp_vlan_tci & 0xff;
    memcpy(dst + 16, src + 12, h->tp_snaplen - 12);
  } else {
    memcpy(dst, src, h->tp_snaplen);
  }
  b->off[i] = (uint32_t)at;
  b->len[i] = h->tp_snaplen + shift;
  b->if_in[i] = (uint8_t)if_in;
  b->if_out[i] = b->verdict[i] = b->reason[i] = 0;
  b->csum_partial[i] = (vh.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) ? 1 : 0;
  b->gso_type[i] = vh.gso_type;
  b->gso_size[i] = vh.gso_size;
  b->hdr_len[i] = vh.hdr_len ? vh.hdr_len + shift : 0;  // header offsets move with a reinserted tag
  b->csum_start[i] = b->csum_partial[i] ? vh.csum_start + shift : 0;
  b->csum_offset[i] = vh.csum_offset;
  return b->len[i];
}

// ---- rx(handle, views, count, used, max, ifIn) -> frames appended at batch[count..] ----
static napi_value js_rx(napi_env env, napi_callback_info info) {
  ARGS(6, "rx(handle, views, count, used, max, ifIn)");
  int32_t a[4];  // count, used, max, ifIn
  batch_t b;
  port_t *p = get_port(env, argv[0]);
  if (!p) return NULL;
  if (get_batch(env, argv[1], &b) || ints(env, argv, 2, 4, a) || a[0] < 0 || (size_t)a[0] > b.cap || a[1] < 0 ||
      (size_t)a[1] > b.buf_len)
    return throw_code(env, "EINVAL", "rx(handle, views, count, used, max, ifIn): bad arguments");
  int count = a[0], max = a[2], n = 0;
  size_t at = (size_t)a[1];
  if (max < 0) max = 0;
  if ((size_t)max > b.cap - (size_t)count) max = (int)(b.cap - (size_t)count);
  while (p->ring && n < max) {
    struct tpacket_block_desc *bd = (void *)(p->ring + (size_t)p->cur * p->block_size);
    if (!p->open_block) {
      // The kernel hands a block over by setting TP_STATUS_USER; read it before its frames.
      if (!(__atomic_load_n(&bd->hdr.bh1.block_status, __ATOMIC_ACQUIRE) & TP_STATUS_USER)) break;
      p->open_block = 1;
      p->left = bd->hdr.bh1.num_pkts;
      p->next = (void *)((uint8_t *)bd + bd->hdr.bh1.offset_to_first_pkt);
    }
    for (; p->left > 0 && n < max; p->left--) {
      struct tpacket3_hdr *h = p->next;
      size_t flen = h->tp_snaplen + ((h->tp_status & TP_STATUS_VLAN_VALID) ? 4 : 0);
      if (h->tp_snaplen < h->tp_len || h->tp_snaplen < 14) p->truncated++;  // cut to fit a block: skip
      else if (flen > b.buf_len) p->oversize++;                             // fits no batch: skip, never stall
      else if (at + flen > b.buf_len) goto full;                            // batch full: keep it for next time
      else at += copy_frame(p, h, &b, count + n++, at, a[3]);
      p->next = (void *)((uint8_t *)h + h->tp_next_offset);
    }
    if (p->left == 0) {  // block done: give it back to the kernel, in ring order
      __atomic_store_n(&bd->hdr.bh1.block_status, TP_STATUS_KERNEL, __ATOMIC_RELEASE);
      p->cur = (p->cur + 1) % p->blocks;
      p->open_block = 0;
    }
  }
full:
  return num(env, n);
}

static int64_t now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

// A send failed with err (EAGAIN or ENOBUFS): waits for room within the call's budget (*left, ns)
// and returns 1 to try again, or 0 to give up (the budget is spent, or the port gave up lately).
static int wait_room(port_t *p, int err, int64_t *left) {
  int64_t t0 = now_ns();
  if (t0 < p->no_wait_until) return 0;
  if (*left <= 0) { p->no_wait_until = t0 + TX_WAIT_OFF_NS; return 0; }
  p->tx_waits++;
  if (err == EAGAIN) {  // the send buffer: POLLOUT when the backlog took enough of it
    struct pollfd pf = { .fd = p->fd, .events = POLLOUT };
    struct timespec to = { 0, *left };
    ppoll(&pf, 1, &to, NULL);
  } else {  // ENOBUFS: the device's queue is full and the socket looks writable: back off a little
    struct timespec d = { 0, 20000 };
    nanosleep(&d, NULL);
  }
  *left -= now_ns() - t0;
  return 1;
}

// ---- tx(handle, views, count, ifOut) -> frames sent; the others are counted in stats() ----
static napi_value js_tx(napi_env env, napi_callback_info info) {
  ARGS(4, "tx(handle, views, count, ifOut)");
  int32_t a[2];  // count, ifOut
  batch_t b;
  struct mmsghdr msgs[CHUNK];  // on the stack: no state shared between calls or threads
  struct iovec iov[CHUNK][2];
  struct virtio_net_hdr vh[CHUNK];
  port_t *p = get_port(env, argv[0]);
  if (!p) return NULL;
  if (get_batch(env, argv[1], &b) || ints(env, argv, 2, 2, a) || a[0] < 0 || (size_t)a[0] > b.cap)
    return throw_code(env, "EINVAL", "tx(handle, views, count, ifOut): bad arguments");
  int count = a[0], vnet = p->flags & F_VNET, dontwait = (p->flags & F_BLOCKING) ? 0 : MSG_DONTWAIT;
  int sent = 0, blocked = 0, i = 0;
  int64_t wait_left = TX_WAIT_NS;
  while (i < count) {
    int k = 0;  // gather the next chunk of this interface's TX frames
    for (; i < count && k < CHUNK; i++) {
      if (b.verdict[i] != VERDICT_TX || b.if_out[i] != (uint8_t)a[1]) continue;
      if ((size_t)b.off[i] + b.len[i] > b.buf_len) { p->tx_errors++; continue; }
      int v = 0;
      if (vnet) {  // rebuilt from the Batch, so a GSO super-frame leaves whole
        // Offsets only count with their flag: a stale hdr_len longer than the frame is EINVAL.
        int partial = b.csum_partial[i] != 0, gso = b.gso_type[i] != VIRTIO_NET_HDR_GSO_NONE;
        vh[k] = (struct virtio_net_hdr){
          .flags = partial ? VIRTIO_NET_HDR_F_NEEDS_CSUM : 0, .gso_type = b.gso_type[i],
          .hdr_len = (partial || gso) ? b.hdr_len[i] : 0, .gso_size = gso ? b.gso_size[i] : 0,
          .csum_start = partial ? b.csum_start[i] : 0, .csum_offset = partial ? b.csum_offset[i] : 0,
        };
        iov[k][v++] = (struct iovec){ &vh[k], VH };
      }
      iov[k][v++] = (struct iovec){ b.buf + b.off[i], b.len[i] };
      msgs[k].msg_hdr = (struct msghdr){ .msg_iov = iov[k], .msg_iovlen = (size_t)v };
      k++;
    }
    if (blocked) { p->tx_unsent += k; continue; }
    for (int done = 0; done < k;) {  // partial sends: go on after what was sent
      int r = sendmmsg(p->fd, msgs + done, (unsigned)(k - done), dontwait);
      if (r > 0) { done += r; sent += r; continue; }
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == ENOBUFS) {
        if (dontwait && wait_room(p, errno, &wait_left)) continue;  // a blocking socket waited already
        blocked = 1;  // the rest of this call's frames are counted, not sent
        p->tx_unsent += k - done;
        break;
      }
      p->tx_errors++;  // this frame was refused (EMSGSIZE, EINVAL...): skip it, send the rest
      p->last_tx_errno = errno;
      done++;
    }
  }
  return num(env, sent);
}

// ---- stats(handle) -> [drops, truncated, oversize, txUnsent, txErrors, lastTxError, txWaits] ----
static napi_value js_stats(napi_env env, napi_callback_info info) {
  ARGS(1, "stats(handle)");
  napi_value out, s;
  port_t *p = get_port(env, argv[0]);
  if (!p) return NULL;
  struct tpacket_stats_v3 st = {0};
  socklen_t sl = sizeof st;
  if (p->ring && getsockopt(p->fd, SOL_PACKET, PACKET_STATISTICS, &st, &sl) == 0) p->drops += st.tp_drops;  // read resets
  double v[5] = { p->drops, p->truncated, p->oversize, p->tx_unsent, p->tx_errors };
  napi_create_array_with_length(env, 7, &out);
  for (uint32_t i = 0; i < 5; i++) napi_set_element(env, out, i, num(env, v[i]));
  napi_create_string_utf8(env, p->last_tx_errno ? errname(p->last_tx_errno) : "", NAPI_AUTO_LENGTH, &s);
  napi_set_element(env, out, 5, s);
  napi_set_element(env, out, 6, num(env, p->tx_waits));
  return out;
}

// ---- poll(handle, cb|null): cb() runs on the event loop whenever the socket is readable ----
static void on_readable(uv_poll_t *h, int status, int events) {
  port_t *p = h->data;
  napi_env env = p->env;
  napi_handle_scope scope;
  napi_value fn, global, err;
  bool pending = false;
  if (p->closed || !p->cb) return;
  napi_open_handle_scope(env, &scope);
  napi_get_reference_value(env, p->cb, &fn);
  napi_get_global(env, &global);  // make_callback wants an object as `this`
  napi_make_callback(env, p->actx, global, fn, 0, NULL, NULL);
  napi_is_exception_pending(env, &pending);
  if (pending && napi_get_and_clear_last_exception(env, &err) == napi_ok) napi_fatal_exception(env, err);
  napi_close_handle_scope(env, scope);
}

static napi_value js_poll(napi_env env, napi_callback_info info) {
  ARGS(2, "poll(handle, cb)");
  napi_value name;
  napi_valuetype t;
  uv_loop_t *loop;
  port_t *p = get_port(env, argv[0]);
  if (!p) return NULL;
  if (p->cb) napi_delete_reference(env, p->cb);
  p->cb = NULL;
  napi_typeof(env, argv[1], &t);
  if (t != napi_function) {
    if (p->uv_open) uv_poll_stop(&p->poll);
    return NULL;
  }
  napi_create_reference(env, argv[1], 1, &p->cb);
  if (!p->actx) {
    napi_create_string_utf8(env, "tsvs:afpacket", NAPI_AUTO_LENGTH, &name);
    napi_async_init(env, NULL, name, &p->actx);
  }
  int r = 0;
  if (!p->uv_open && napi_get_uv_event_loop(env, &loop) == napi_ok && (r = uv_poll_init(loop, &p->poll, p->fd)) == 0) {
    p->poll.data = p;
    p->uv_open = 1;
  }
  if (r == 0) r = uv_poll_start(&p->poll, UV_READABLE, on_readable);
  return r < 0 ? throw_code(env, "EIO", "uv_poll: %s", uv_strerror(r)) : NULL;
}

static napi_value js_close(napi_env env, napi_callback_info info) {
  ARGS(1, "close(handle)");
  port_t *p = NULL;
  if (napi_get_value_external(env, argv[0], (void **)&p) == napi_ok && p) shutdown_port(p);
  return NULL;
}

// ---- ifInfo(name) -> { index, mac: Uint8Array(6), mtu }: for the router's L2 ----
static napi_value js_if_info(napi_env env, napi_callback_info info) {
  ARGS(1, "ifInfo(name)");
  napi_value o, ab, mac;
  struct ifreq ifr = {0};
  void *data;
  if (napi_get_value_string_utf8(env, argv[0], ifr.ifr_name, IF_NAMESIZE, NULL) != napi_ok)
    return throw_code(env, "EINVAL", "ifInfo(name): bad arguments");
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return throw_errno(env, errno, "socket(AF_INET)");
  int index = 0, mtu = 0, r = ioctl(fd, SIOCGIFINDEX, &ifr);
  if (r == 0) index = ifr.ifr_ifindex, r = ioctl(fd, SIOCGIFMTU, &ifr);
  if (r == 0) mtu = ifr.ifr_mtu, r = ioctl(fd, SIOCGIFHWADDR, &ifr);
  int e = errno;
  close(fd);
  if (r < 0) return e == ENODEV ? throw_code(env, "ENODEV", "no such device %s", ifr.ifr_name) : throw_errno(env, e, "ioctl(SIOCGIF*)");
  napi_create_object(env, &o);
  napi_create_arraybuffer(env, 6, &data, &ab);
  memcpy(data, ifr.ifr_hwaddr.sa_data, 6);
  napi_create_typedarray(env, napi_uint8_array, 6, ab, 0, &mac);
  napi_set_named_property(env, o, "index", num(env, index));
  napi_set_named_property(env, o, "mac", mac);
  napi_set_named_property(env, o, "mtu", num(env, mtu));
  return o;
}

// ---- netnsEnter(path) -> fd of the previous namespace; netnsLeave(fd) ----
// Moves the calling (main) thread into a network namespace, so the sockets it opens
// live there; sockets keep their namespace after netnsLeave(). Sync, so no JS runs between.
static napi_value js_netns_enter(napi_env env, napi_callback_info info) {
  ARGS(1, "netnsEnter(path)");
  char path[4096];
  if (napi_get_value_string_utf8(env, argv[0], path, sizeof path, NULL) != napi_ok)
    return throw_code(env, "EINVAL", "netnsEnter(path): bad arguments");
  int self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  if (self < 0) return throw_errno(env, errno, "open(/proc/thread-self/ns/net)");
  int target = open(path, O_RDONLY | O_CLOEXEC), e = errno;
  if (target < 0) { close(self); return throw_code(env, errname(e), "netns %s: %s", path, strerror(e)); }
  int r = setns(target, CLONE_NEWNET);
  e = errno;
  close(target);
  if (r < 0) { close(self); return throw_errno(env, e, "setns"); }
  return num(env, self);
}

static napi_value js_netns_leave(napi_env env, napi_callback_info info) {
  ARGS(1, "netnsLeave(fd)");
  int32_t fd;
  if (ints(env, argv, 0, 1, &fd)) return throw_code(env, "EINVAL", "netnsLeave(fd): bad arguments");
  int r = setns(fd, CLONE_NEWNET), e = errno;
  close(fd);
  return r < 0 ? throw_errno(env, e, "setns(back)") : NULL;
}

// ---- peerCred(fd) -> { pid, uid, gid }: who is at the other end of a unix socket ----
// SO_PEERCRED, so the control API can log and authorise a client by its uid.
static napi_value js_peer_cred(napi_env env, napi_callback_info info) {
  ARGS(1, "peerCred(fd)");
  int32_t fd;
  if (ints(env, argv, 0, 1, &fd)) return throw_code(env, "EINVAL", "peerCred(fd): bad arguments");
  struct ucred cred;
  socklen_t len = sizeof cred;
  if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0) return throw_errno(env, errno, "getsockopt(SO_PEERCRED)");
  napi_value o;
  napi_create_object(env, &o);
  napi_set_named_property(env, o, "pid", num(env, cred.pid));
  napi_set_named_property(env, o, "uid", num(env, cred.uid));
  napi_set_named_property(env, o, "gid", num(env, cred.gid));
  return o;
}

// ---- fanoutData(handle, program: Uint8Array of struct sock_filter) ----
// PACKET_FANOUT_DATA: the classic BPF program of a PACKET_FANOUT_CBPF group (any
// member may set it; a new one replaces the old). Its return value modulo the
// group's size picks the socket (src/router/fanout-bpf.ts builds it).
static napi_value js_fanout_data(napi_env env, napi_callback_info info) {
  ARGS(2, "fanoutData(handle, program)");
  port_t *p = NULL;
  bool is_ta = false;
  napi_typedarray_type t;
  size_t n = 0;
  void *data = NULL;
  if (napi_get_value_external(env, argv[0], (void **)&p) != napi_ok || !p || p->closed ||
      napi_is_typedarray(env, argv[1], &is_ta) != napi_ok || !is_ta ||
      napi_get_typedarray_info(env, argv[1], &t, &n, &data, NULL, NULL) != napi_ok || t != napi_uint8_array ||
      n == 0 || n % sizeof(struct sock_filter) != 0 || n / sizeof(struct sock_filter) > BPF_MAXINSNS)
    return throw_code(env, "EINVAL", "fanoutData(handle, program): bad arguments");
  struct sock_fprog fp = { .len = (unsigned short)(n / sizeof(struct sock_filter)), .filter = data };
  if (setsockopt(p->fd, SOL_PACKET, PACKET_FANOUT_DATA, &fp, sizeof fp) < 0) return throw_errno(env, errno, "setsockopt(PACKET_FANOUT_DATA)");
  return NULL;
}

// ---- fanoutGroup(handle) -> the id of the socket's fanout group (getsockopt PACKET_FANOUT) ----
// A group made with PACKET_FANOUT_FLAG_UNIQUEID gets its id from the kernel; the
// other members join by it.
static napi_value js_fanout_group(napi_env env, napi_callback_info info) {
  ARGS(1, "fanoutGroup(handle)");
  port_t *p = NULL;
  if (napi_get_value_external(env, argv[0], (void **)&p) != napi_ok || !p || p->closed)
    return throw_code(env, "EBADF", "packet socket is closed or not a socket handle");
  int v = 0;
  socklen_t len = sizeof v;
  if (getsockopt(p->fd, SOL_PACKET, PACKET_FANOUT, &v, &len) < 0) return throw_errno(env, errno, "getsockopt(PACKET_FANOUT)");
  return num(env, v & 0xffff);
}

#define FN(name, fn) { name, 0, fn, 0, 0, 0, napi_enumerable, 0 }

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor d[] = {
    FN("open", js_open), FN("rx", js_rx), FN("tx", js_tx), FN("stats", js_stats), FN("poll", js_poll),
    FN("close", js_close), FN("ifInfo", js_if_info), FN("netnsEnter", js_netns_enter), FN("netnsLeave", js_netns_leave),
    FN("peerCred", js_peer_cred),
    FN("fanoutData", js_fanout_data), FN("fanoutGroup", js_fanout_group),
  };
  napi_define_properties(env, exports, sizeof d / sizeof d[0], d);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
