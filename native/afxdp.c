// tsvs_afxdp: the AF_XDP backend of the tsvs data plane, as a Node-API addon of its
// own (so the AF_PACKET addon still builds where libbpf is missing). libbpf only
// loads and attaches the XDP program (native/xdp_steer.c); the XSK socket, its
// UMEM and its four rings are plain syscalls on the UAPI of linux/if_xdp.h
// (setsockopt + mmap), which Debian 12's libbpf 1.1 no longer wraps (its xsk.h
// moved to libxdp) and which is all the backend needs.
// One socket per device, bound to receive queue 0. rx() copies frames out of the
// UMEM into a Batch and gives the chunks straight back to the fill ring; tx()
// copies a batch's TX frames into free chunks and kicks the kernel with sendto().
#define _GNU_SOURCE
#define NAPI_VERSION 8
#include <node_api.h>
#define ROOT_HINT "(needs root: CAP_NET_ADMIN, CAP_BPF and CAP_NET_RAW)"
#include "napi-util.h"
#include <uv.h>
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <linux/if_link.h>
#include <linux/if_xdp.h>
#include <net/if.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

/** How many 5 ms waits a bind to a queue still held by a closed socket gets (1 s). */
#define BIND_WAIT_TRIES 200

#ifndef SOL_XDP
#define SOL_XDP 283
#endif
#ifndef AF_XDP
#define AF_XDP 44
#endif

#ifndef XDP_MAX_TX_SKB_BUDGET
#define XDP_MAX_TX_SKB_BUDGET 9  // linux/if_xdp.h of 6.17 and later
#endif

#define VERDICT_TX 1      // must match src/frames/batch.ts
#define FRAME 2048        // UMEM chunk: one MTU-sized frame
// 8,192 receive chunks: a few ms more of a flood held while the reader is
// descheduled than 2,048 held (docs/afxdp.md, note 7). UMEM: 20 MiB a device.
#define RX_FRAMES 8192    // chunks that circulate through the fill and RX rings
#define TX_FRAMES 2048    // chunks for sending, after them
#define RING 8192         // entries of each ring (a power of two, >= RX_FRAMES and TX_FRAMES)
#define M_GENERIC 1       // open() flag: attach in generic (skb) mode only
#define M_NATIVE 2        // open() flag: native (driver) mode only; neither: native, else generic

typedef struct {
  uint32_t *prod, *cons, *flags;
  void *ring;
  void *map;
  size_t map_len;
} ring_t;

typedef struct {
  int fd, ifindex, prog_fd, link_fd, xsks_fd, attach_flags, zero_copy;
  struct bpf_object *obj;
  uint8_t *umem;
  ring_t fill, comp, rx, tx;
  uint64_t free_tx[TX_FRAMES];
  unsigned nfree;
  double oversize, tx_unsent, tx_errors, tx_kicks;
  int last_tx_errno;
  uv_poll_t poll;
  int uv_open, js_gone, closed;
  napi_env env;
  napi_ref cb;
  napi_async_context actx;
} xport_t;


// ---- the steering maps: one set per process, shared by every device's program ----
// Filled from the main thread (the fence), read by the programs the data-plane
// thread attaches: the fds are the process's, so both threads use them.
enum { S_OWNED, S_LOCAL, S_NAT_TCP, S_NAT_UDP, S_NAT_ANY, S_ALL, S_COUNT };
static const char *set_names[S_COUNT] = { "owned", "local", "nat_tcp", "nat_udp", "nat_any", "all" };
static const unsigned set_sizes[S_COUNT] = { 65536, 4096, 262144, 262144, 65536, 1 };
static int set_fd[S_COUNT] = { -1, -1, -1, -1, -1, -1 };
static pthread_mutex_t set_lock = PTHREAD_MUTEX_INITIALIZER;
struct addr_port { uint32_t addr; uint16_t port, pad; };

static char bpf_log[1024];  // libbpf's last warning, for error messages
static int on_libbpf(enum libbpf_print_level level, const char *fmt, va_list ap) {
  if (level != LIBBPF_DEBUG) vsnprintf(bpf_log, sizeof bpf_log, fmt, ap);
  return 0;
}

static int ensure_sets(void) {
  for (int s = 0; s < S_COUNT; s++) {
    if (set_fd[s] >= 0) continue;
    unsigned key = (s == S_NAT_TCP || s == S_NAT_UDP) ? sizeof(struct addr_port) : 4;
    int fd = bpf_map_create(BPF_MAP_TYPE_HASH, set_names[s], key, 1, set_sizes[s], NULL);
    if (fd < 0) return -errno;
    set_fd[s] = fd;
  }
  return 0;
}

// ---- steer(op, set, addr, port): op 0 empties every set, 1 adds, 2 deletes (addr in host order) ----
static napi_value js_steer(napi_env env, napi_callback_info info) {
  ARGS(4, "steer(op, set, addr, port)");
  int32_t a[3];  // op, set, port
  uint32_t addr;
  if (ints(env, argv, 0, 2, a) || napi_get_value_uint32(env, argv[2], &addr) != napi_ok || ints(env, argv, 3, 1, &a[2]) ||
      a[0] < 0 || a[0] > 2 || a[1] < 0 || a[1] >= S_COUNT)
    return throw_code(env, "EINVAL", "steer(op, set, addr, port): bad arguments");
  int32_t op = a[0], set = a[1], port = a[2];
  pthread_mutex_lock(&set_lock);
  int r = ensure_sets(), e = -r;
  if (r == 0 && op == 0) {
    for (int s = 0; s < S_COUNT; s++) {  // empty: delete the first key until none is left
      uint8_t key[8];
      while (bpf_map_get_next_key(set_fd[s], NULL, key) == 0) bpf_map_delete_elem(set_fd[s], key);
    }
  } else if (r == 0) {
    struct addr_port ap = { htonl(addr), htons((uint16_t)port), 0 };
    uint32_t a4 = htonl(addr);
    void *key = (set == S_NAT_TCP || set == S_NAT_UDP) ? (void *)&ap : (void *)&a4;
    uint8_t one = 1;
    r = op == 1 ? bpf_map_update_elem(set_fd[set], key, &one, BPF_ANY) : bpf_map_delete_elem(set_fd[set], key);
    e = errno;
    if (op == 2 && r < 0 && e == ENOENT) r = 0;
  }
  pthread_mutex_unlock(&set_lock);
  return r < 0 ? throw_errno(env, e, "bpf map update (XDP steering)") : NULL;
}

// ---- lifetime, as in afpacket.c ----
static void on_uv_closed(uv_handle_t *h) {
  xport_t *p = h->data;
  p->uv_open = 0;
  if (p->js_gone) free(p);
}

static void unmap_rings(xport_t *p) {
  ring_t *rs[4] = { &p->fill, &p->comp, &p->rx, &p->tx };
  for (int i = 0; i < 4; i++) if (rs[i]->map) { munmap(rs[i]->map, rs[i]->map_len); rs[i]->map = NULL; }
}

// The program is attached through a BPF link: closing the link's fd detaches it from
// the device it was attached to, whatever namespace the closing thread is in, and a
// process that dies takes its links (so its programs) with it.
static void detach(xport_t *p) {
  if (p->link_fd >= 0) close(p->link_fd);
  p->link_fd = -1;
  if (p->obj) bpf_object__close(p->obj);
  p->obj = NULL;
  p->prog_fd = -1;
}

static void shutdown_port(xport_t *p) {
  if (p->closed) return;
  p->closed = 1;
  if (p->uv_open) {
    uv_poll_stop(&p->poll);
    uv_close((uv_handle_t *)&p->poll, on_uv_closed);
  }
  if (p->cb) { napi_delete_reference(p->env, p->cb); p->cb = NULL; }
  if (p->actx) { napi_async_destroy(p->env, p->actx); p->actx = NULL; }
  detach(p);
  if (p->fd >= 0) close(p->fd);
  unmap_rings(p);
  if (p->umem) munmap(p->umem, (size_t)FRAME * (RX_FRAMES + TX_FRAMES));
  p->umem = NULL;
}

static void finalize(napi_env env, void *data, void *hint) {
  (void)env; (void)hint;
  xport_t *p = data;
  shutdown_port(p);
  p->js_gone = 1;
  if (!p->uv_open) free(p);
}

static xport_t *get_port(napi_env env, napi_value v) {
  xport_t *p = NULL;
  if (napi_get_value_external(env, v, (void **)&p) != napi_ok || !p || p->closed) {
    throw_code(env, "EBADF", "XDP socket is closed or not a socket handle");
    return NULL;
  }
  return p;
}

static int map_ring(xport_t *p, ring_t *r, struct xdp_ring_offset *o, size_t entry, off_t pgoff) {
  r->map_len = o->desc + (size_t)RING * entry;
  r->map = mmap(NULL, r->map_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, p->fd, pgoff);
  if (r->map == MAP_FAILED) { r->map = NULL; return -1; }
  r->prod = (uint32_t *)((uint8_t *)r->map + o->producer);
  r->cons = (uint32_t *)((uint8_t *)r->map + o->consumer);
  r->flags = (uint32_t *)((uint8_t *)r->map + o->flags);
  r->ring = (uint8_t *)r->map + o->desc;
  return 0;
}

// ---- open(ifname, programPath, mode) -> handle ----
// Loads the steering program, attaches it (native mode, else generic unless told),
// makes the UMEM and rings, binds to queue 0 and enters the socket in the program's XSKMAP.
static napi_value js_open(napi_env env, napi_callback_info info) {
  ARGS(3, "open(ifname, programPath, mode)");
  char name[IF_NAMESIZE + 1] = {0}, path[4096] = {0};
  int32_t mode;
  napi_value handle;
  if (napi_get_value_string_utf8(env, argv[0], name, sizeof name, NULL) != napi_ok ||
      napi_get_value_string_utf8(env, argv[1], path, sizeof path, NULL) != napi_ok || ints(env, argv, 2, 1, &mode))
    return throw_code(env, "EINVAL", "open(ifname, programPath, mode): bad arguments");
  libbpf_set_print(on_libbpf);
  unsigned ifindex = if_nametoindex(name);
  if (!ifindex) return throw_code(env, "ENODEV", "no such device %s", name);
  xport_t *p = calloc(1, sizeof *p);
  p->fd = -1;
  p->prog_fd = -1;
  p->link_fd = -1;
  p->ifindex = (int)ifindex;
  p->env = env;
  const char *fail = NULL;
  int e = 0;
  char why[1200] = "";

  pthread_mutex_lock(&set_lock);
  int r = ensure_sets();
  pthread_mutex_unlock(&set_lock);
  if (r < 0) { e = -r; fail = "bpf(BPF_MAP_CREATE) for the steering maps"; goto err; }
  bpf_log[0] = 0;
  p->obj = bpf_object__open_file(path, NULL);
  if (!p->obj) { e = errno; p->obj = NULL; snprintf(why, sizeof why, "cannot open the XDP program %s (npm run build:native builds it; needs clang and libbpf-dev)", path); goto err; }
  for (int s = 0; s < S_COUNT; s++) {
    struct bpf_map *m = bpf_object__find_map_by_name(p->obj, set_names[s]);
    if (!m || bpf_map__reuse_fd(m, set_fd[s]) < 0) { e = errno ? errno : EINVAL; fail = "bpf_map__reuse_fd"; goto err; }
  }
  if (bpf_object__load(p->obj) < 0) { e = errno; snprintf(why, sizeof why, "cannot load the XDP program: %s", bpf_log); goto err; }
  struct bpf_program *prog = bpf_object__find_program_by_name(p->obj, "tsvs_steer");
  p->prog_fd = prog ? bpf_program__fd(prog) : -1;
  p->xsks_fd = bpf_object__find_map_fd_by_name(p->obj, "xsks");
  if (p->prog_fd < 0 || p->xsks_fd < 0) { e = ENOENT; fail = "the XDP program has no tsvs_steer or xsks"; goto err; }
  // A link never replaces another program on the device (EBUSY).
  int tries[2] = { XDP_FLAGS_DRV_MODE, XDP_FLAGS_SKB_MODE }, first = (mode & M_GENERIC) ? 1 : 0, last = (mode & M_NATIVE) ? 0 : 1;
  for (int t = first; t <= last && p->link_fd < 0; t++) {
    p->attach_flags = tries[t];
    LIBBPF_OPTS(bpf_link_create_opts, lo, .flags = (__u32)tries[t]);
    p->link_fd = bpf_link_create(p->prog_fd, p->ifindex, BPF_XDP, &lo);
    if (p->link_fd < 0) e = errno;
    if (p->link_fd < 0 && (e == EBUSY || e == EEXIST)) break;
  }
  if (p->link_fd < 0) {
    snprintf(why, sizeof why, "cannot attach the XDP program to %s: %s%s", name, strerror(e),
             e == EBUSY || e == EEXIST ? " (the device already has an XDP program)" : e == EOPNOTSUPP ? " (the driver has no native XDP; --xdp-mode generic)" : "");
    goto err;
  }

  p->fd = socket(AF_XDP, SOCK_RAW | SOCK_CLOEXEC, 0);
  if (p->fd < 0) { e = errno; fail = "socket(AF_XDP)"; goto err; }
  size_t umem_len = (size_t)FRAME * (RX_FRAMES + TX_FRAMES);
  p->umem = mmap(NULL, umem_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
  if (p->umem == MAP_FAILED) { p->umem = NULL; e = errno; fail = "mmap(UMEM)"; goto err; }
  // Touch every page from user space once, here: MAP_POPULATE and the kernel's pinning
  // leave the pages in place, but on this VM (a shadow-paging guest) this process's
  // first access to each page was still slow, and that was paid in rx(): frames left
  // in the ring read at 2.7 us each instead of 0.04 (docs/afxdp.md, note 9). A few ms
  // at open instead.
  for (size_t o = 0; o < umem_len; o += 4096) ((volatile uint8_t *)p->umem)[o] = 0;
  struct xdp_umem_reg ur = { .addr = (uint64_t)(uintptr_t)p->umem, .len = umem_len, .chunk_size = FRAME, .headroom = 0 };
  int ring = RING;
  if (setsockopt(p->fd, SOL_XDP, XDP_UMEM_REG, &ur, sizeof ur) < 0) { e = errno; fail = "setsockopt(XDP_UMEM_REG)"; goto err; }
  if (setsockopt(p->fd, SOL_XDP, XDP_UMEM_FILL_RING, &ring, sizeof ring) < 0 ||
      setsockopt(p->fd, SOL_XDP, XDP_UMEM_COMPLETION_RING, &ring, sizeof ring) < 0 ||
      setsockopt(p->fd, SOL_XDP, XDP_RX_RING, &ring, sizeof ring) < 0 ||
      setsockopt(p->fd, SOL_XDP, XDP_TX_RING, &ring, sizeof ring) < 0) { e = errno; fail = "setsockopt(XDP rings)"; goto err; }
  struct xdp_mmap_offsets off;
  socklen_t ol = sizeof off;
  if (getsockopt(p->fd, SOL_XDP, XDP_MMAP_OFFSETS, &off, &ol) < 0) { e = errno; fail = "getsockopt(XDP_MMAP_OFFSETS)"; goto err; }
  if (map_ring(p, &p->fill, &off.fr, sizeof(uint64_t), XDP_UMEM_PGOFF_FILL_RING) ||
      map_ring(p, &p->comp, &off.cr, sizeof(uint64_t), XDP_UMEM_PGOFF_COMPLETION_RING) ||
      map_ring(p, &p->rx, &off.rx, sizeof(struct xdp_desc), XDP_PGOFF_RX_RING) ||
      map_ring(p, &p->tx, &off.tx, sizeof(struct xdp_desc), XDP_PGOFF_TX_RING)) { e = errno; fail = "mmap(XDP rings)"; goto err; }
  // Every receive chunk goes to the fill ring now; the send chunks wait on a free list.
  uint64_t *fr = p->fill.ring;
  for (unsigned i = 0; i < RX_FRAMES; i++) fr[i & (RING - 1)] = (uint64_t)i * FRAME;
  __atomic_store_n(p->fill.prod, RX_FRAMES, __ATOMIC_RELEASE);
  for (unsigned i = 0; i < TX_FRAMES; i++) p->free_tx[i] = (uint64_t)(RX_FRAMES + i) * FRAME;
  p->nfree = TX_FRAMES;
  struct sockaddr_xdp sx = { .sxdp_family = AF_XDP, .sxdp_ifindex = ifindex, .sxdp_queue_id = 0, .sxdp_flags = XDP_USE_NEED_WAKEUP };
  // A socket closed just before on this queue (a restart, a reopened port) leaves it
  // from a kernel workqueue (xp_release_deferred), so the queue can be busy for a few
  // milliseconds more: wait for that, at most BIND_WAIT_TRIES x 5 ms.
  for (int tries = 0; bind(p->fd, (struct sockaddr *)&sx, sizeof sx) < 0; tries++) {
    e = errno;
    if (e != EBUSY || tries >= BIND_WAIT_TRIES) { fail = "bind(AF_XDP, queue 0)"; goto err; }
    usleep(5000);
  }
  // Copy mode sends at most this many frames per sendto() (32 by default): a whole
  // batch in one call. The option is Linux 6.17's; an older kernel refuses it and
  // keeps 32.
  int budget = 256;
  (void)setsockopt(p->fd, SOL_XDP, XDP_MAX_TX_SKB_BUDGET, &budget, sizeof budget);
  struct xdp_options xo = {0};
  socklen_t xl = sizeof xo;
  if (getsockopt(p->fd, SOL_XDP, XDP_OPTIONS, &xo, &xl) == 0) p->zero_copy = (xo.flags & XDP_OPTIONS_ZEROCOPY) != 0;
  uint32_t q = 0;
  if (bpf_map_update_elem(p->xsks_fd, &q, &p->fd, BPF_ANY) < 0) { e = errno; fail = "bpf map update (xsks)"; goto err; }
  if (napi_create_external(env, p, finalize, NULL, &handle) != napi_ok) { e = ENOMEM; fail = "napi_create_external"; goto err; }
  return handle;
err:
  shutdown_port(p);
  free(p);
  if (why[0]) return throw_code(env, errname(e), "%s", why);
  return throw_errno(env, e, fail);
}

// ---- info(handle) -> { mode: 'native'|'generic', zeroCopy, queue } ----
static napi_value js_info(napi_env env, napi_callback_info info) {
  ARGS(1, "info(handle)");
  xport_t *p = get_port(env, argv[0]);
  if (!p) return NULL;
  napi_value o, s, b;
  napi_create_object(env, &o);
  napi_create_string_utf8(env, (p->attach_flags & XDP_FLAGS_DRV_MODE) ? "native" : "generic", NAPI_AUTO_LENGTH, &s);
  napi_set_named_property(env, o, "mode", s);
  napi_get_boolean(env, p->zero_copy, &b);
  napi_set_named_property(env, o, "zeroCopy", b);
  napi_set_named_property(env, o, "queue", num(env, 0));
  return o;
}

// ---- rx(handle, views, count, used, max, ifIn) -> frames appended at batch[count..] ----
static napi_value js_rx(napi_env env, napi_callback_info info) {
  ARGS(6, "rx(handle, views, count, used, max, ifIn)");
  int32_t a[4];
  batch_t b;
  xport_t *p = get_port(env, argv[0]);
  if (!p) return NULL;
  if (get_batch(env, argv[1], &b) || ints(env, argv, 2, 4, a) || a[0] < 0 || (size_t)a[0] > b.cap || a[1] < 0 ||
      (size_t)a[1] > b.buf_len)
    return throw_code(env, "EINVAL", "rx(handle, views, count, used, max, ifIn): bad arguments");
  int count = a[0], max = a[2], n = 0;
  size_t at = (size_t)a[1];
  if (max < 0) max = 0;
  if ((size_t)max > b.cap - (size_t)count) max = (int)(b.cap - (size_t)count);
  uint32_t cons = *p->rx.cons, prod = __atomic_load_n(p->rx.prod, __ATOMIC_ACQUIRE);
  uint32_t fprod = *p->fill.prod;
  struct xdp_desc *rd = p->rx.ring;
  uint64_t *fr = p->fill.ring;
  while (cons != prod && n < max) {
    struct xdp_desc *d = &rd[cons & (RING - 1)];
    if (d->len > b.buf_len) p->oversize++;  // fits no batch: skip, never stall
    else if (at + d->len > b.buf_len) break;  // batch full: keep it for next time
    else {
      int i = count + n++;
      memcpy(b.buf + at, p->umem + d->addr, d->len);
      b.off[i] = (uint32_t)at;
      b.len[i] = d->len;
      b.if_in[i] = (uint8_t)a[3];
      b.if_out[i] = b.verdict[i] = b.reason[i] = b.csum_partial[i] = b.gso_type[i] = 0;
      b.gso_size[i] = b.hdr_len[i] = b.csum_start[i] = b.csum_offset[i] = 0;
      at += d->len;
    }
    fr[fprod++ & (RING - 1)] = d->addr;  // the chunk goes back at once: the fill ring never runs dry
    cons++;
  }
  __atomic_store_n(p->rx.cons, cons, __ATOMIC_RELEASE);
  __atomic_store_n(p->fill.prod, fprod, __ATOMIC_RELEASE);
  if (__atomic_load_n(p->fill.flags, __ATOMIC_RELAXED) & XDP_RING_NEED_WAKEUP) recvfrom(p->fd, NULL, 0, MSG_DONTWAIT, NULL, NULL);
  return num(env, n);
}

static void reclaim(xport_t *p) {
  uint32_t cons = *p->comp.cons, prod = __atomic_load_n(p->comp.prod, __ATOMIC_ACQUIRE);
  uint64_t *cr = p->comp.ring;
  for (; cons != prod && p->nfree < TX_FRAMES; cons++) p->free_tx[p->nfree++] = cr[cons & (RING - 1)] & ~(uint64_t)(FRAME - 1);
  __atomic_store_n(p->comp.cons, cons, __ATOMIC_RELEASE);
}

// ---- tx(handle, views, count, ifOut) -> frames handed to the kernel ----
static napi_value js_tx(napi_env env, napi_callback_info info) {
  ARGS(4, "tx(handle, views, count, ifOut)");
  int32_t a[2];
  batch_t b;
  xport_t *p = get_port(env, argv[0]);
  if (!p) return NULL;
  if (get_batch(env, argv[1], &b) || ints(env, argv, 2, 2, a) || a[0] < 0 || (size_t)a[0] > b.cap)
    return throw_code(env, "EINVAL", "tx(handle, views, count, ifOut): bad arguments");
  reclaim(p);
  uint32_t prod = *p->tx.prod, cons = __atomic_load_n(p->tx.cons, __ATOMIC_ACQUIRE);
  struct xdp_desc *td = p->tx.ring;
  int queued = 0;
  for (int i = 0; i < a[0]; i++) {
    if (b.verdict[i] != VERDICT_TX || b.if_out[i] != (uint8_t)a[1]) continue;
    if ((size_t)b.off[i] + b.len[i] > b.buf_len || b.len[i] > FRAME) { p->tx_errors++; continue; }
    if (p->nfree == 0 || prod - cons >= RING) { p->tx_unsent++; continue; }  // no chunk or the TX ring is full
    uint64_t addr = p->free_tx[--p->nfree];
    memcpy(p->umem + addr, b.buf + b.off[i], b.len[i]);
    td[prod & (RING - 1)] = (struct xdp_desc){ .addr = addr, .len = b.len[i], .options = 0 };
    prod++;
    queued++;
  }
  __atomic_store_n(p->tx.prod, prod, __ATOMIC_RELEASE);
  // Copy mode sends in sendto(), up to the budget a call (256, or 32 before Linux
  // 6.17; EAGAIN: more to do); a zero-copy driver needs the kick only when it asks
  // (XDP_RING_NEED_WAKEUP).
  for (int k = 0; k < RING / 16; k++) {
    if (__atomic_load_n(p->tx.cons, __ATOMIC_ACQUIRE) == prod) break;
    if (p->zero_copy && !(__atomic_load_n(p->tx.flags, __ATOMIC_RELAXED) & XDP_RING_NEED_WAKEUP)) break;
    p->tx_kicks++;
    if (sendto(p->fd, NULL, 0, MSG_DONTWAIT, NULL, 0) >= 0) continue;
    if (errno == EAGAIN || errno == EBUSY || errno == ENOBUFS || errno == EINTR) continue;
    p->last_tx_errno = errno;
    p->tx_errors++;
    break;
  }
  reclaim(p);
  return num(env, queued);
}

// ---- stats(handle) -> [rxDropped, rxRingFull, fillRingEmpty, rxInvalid, txInvalid, txRingEmpty, oversize, txUnsent, txErrors, lastTxError, txKicks] ----
static napi_value js_stats(napi_env env, napi_callback_info info) {
  ARGS(1, "stats(handle)");
  xport_t *p = get_port(env, argv[0]);
  if (!p) return NULL;
  struct xdp_statistics st = {0};
  socklen_t sl = sizeof st;
  getsockopt(p->fd, SOL_XDP, XDP_STATISTICS, &st, &sl);  // running totals, not reset by reading
  double v[9] = { (double)st.rx_dropped, (double)st.rx_ring_full, (double)st.rx_fill_ring_empty_descs, (double)st.rx_invalid_descs,
                  (double)st.tx_invalid_descs, (double)st.tx_ring_empty_descs, p->oversize, p->tx_unsent, p->tx_errors };
  napi_value out, s;
  napi_create_array_with_length(env, 11, &out);
  for (uint32_t i = 0; i < 9; i++) napi_set_element(env, out, i, num(env, v[i]));
  napi_create_string_utf8(env, p->last_tx_errno ? errname(p->last_tx_errno) : "", NAPI_AUTO_LENGTH, &s);
  napi_set_element(env, out, 9, s);
  napi_set_element(env, out, 10, num(env, p->tx_kicks));
  return out;
}

static void on_readable(uv_poll_t *h, int status, int events) {
  xport_t *p = h->data;
  napi_env env = p->env;
  napi_handle_scope scope;
  napi_value fn, global, err;
  bool pending = false;
  if (p->closed || !p->cb) return;
  napi_open_handle_scope(env, &scope);
  napi_get_reference_value(env, p->cb, &fn);
  napi_get_global(env, &global);
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
  xport_t *p = get_port(env, argv[0]);
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
    napi_create_string_utf8(env, "tsvs:afxdp", NAPI_AUTO_LENGTH, &name);
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
  xport_t *p = NULL;
  if (napi_get_value_external(env, argv[0], (void **)&p) == napi_ok && p) shutdown_port(p);
  return NULL;
}

#define FN(name, fn) { name, 0, fn, 0, 0, 0, napi_enumerable, 0 }

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor d[] = {
    FN("open", js_open), FN("info", js_info), FN("rx", js_rx), FN("tx", js_tx), FN("stats", js_stats),
    FN("poll", js_poll), FN("close", js_close), FN("steer", js_steer),
  };
  napi_define_properties(env, exports, sizeof d / sizeof d[0], d);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
