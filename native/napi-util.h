// What both addons (afpacket.c, afxdp.c) share: errors thrown as JS Errors whose
// code is the errno name (never an abort), argument checks, and the batch views
// (src/frames/batch.ts) read into one struct. Each addon defines ROOT_HINT, what
// a permission error tells the user, before including this.
#ifndef TSVS_NAPI_UTIL_H
#define TSVS_NAPI_UTIL_H
#include <node_api.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

// The batch's typed arrays, in BatchViews order.
typedef struct {
  uint8_t *buf;
  uint32_t *off, *len;
  uint8_t *if_in, *if_out, *verdict, *reason, *csum_partial, *gso_type;
  uint16_t *gso_size, *hdr_len, *csum_start, *csum_offset;
  size_t buf_len, cap;
} batch_t;

static napi_value throw_code(napi_env env, const char *code, const char *fmt, ...) {
  char msg[1400];
  int n = snprintf(msg, sizeof msg, "%s: ", code);
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg + n, sizeof msg - n, fmt, ap);
  va_end(ap);
  napi_throw_error(env, code, msg);
  return NULL;
}

static const char *errname(int err) {
  const char *name = strerrorname_np(err);
  return name ? name : "EIO";
}

// "EPERM: socket(AF_PACKET): Operation not permitted (run as root)"
static napi_value throw_errno(napi_env env, int err, const char *what) {
  const char *hint = (err == EPERM || err == EACCES) ? " " ROOT_HINT : "";
  return throw_code(env, errname(err), "%s: %s%s", what, strerror(err), hint);
}

// Declares argv[n] and fails the call with EINVAL unless JS passed n arguments.
#define ARGS(n, usage)                                                                   \
  size_t argc = n;                                                                       \
  napi_value argv[n];                                                                    \
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < n)       \
    return throw_code(env, "EINVAL", usage ": bad arguments")

static napi_value num(napi_env env, double v) { napi_value r; napi_create_double(env, v, &r); return r; }

// Reads argv[from..from+n) as int32s; nonzero when one is not a number.
static int ints(napi_env env, napi_value *argv, int from, int n, int32_t *out) {
  for (int i = 0; i < n; i++) if (napi_get_value_int32(env, argv[from + i], &out[i]) != napi_ok) return -1;
  return 0;
}

// Reads the views array into b, checking each typed array's type and length.
static int read_batch(napi_env env, napi_value arr, batch_t *b) {
  static const napi_typedarray_type type[13] = {
    napi_uint8_array, napi_uint32_array, napi_uint32_array, napi_uint8_array, napi_uint8_array, napi_uint8_array,
    napi_uint8_array, napi_uint8_array, napi_uint8_array, napi_uint16_array, napi_uint16_array, napi_uint16_array,
    napi_uint16_array,
  };
  void **slot[13] = {
    (void **)&b->buf, (void **)&b->off, (void **)&b->len, (void **)&b->if_in, (void **)&b->if_out,
    (void **)&b->verdict, (void **)&b->reason, (void **)&b->csum_partial, (void **)&b->gso_type,
    (void **)&b->gso_size, (void **)&b->hdr_len, (void **)&b->csum_start, (void **)&b->csum_offset,
  };
  for (uint32_t i = 0; i < 13; i++) {
    napi_value v;
    napi_typedarray_type t;
    size_t n;
    if (napi_get_element(env, arr, i, &v) != napi_ok ||
        napi_get_typedarray_info(env, v, &t, &n, slot[i], NULL, NULL) != napi_ok || t != type[i])
      return -1;
    if (i == 0) b->buf_len = n;
    else if (i == 1) b->cap = n;
    else if (n < b->cap) return -1;  // every descriptor array covers the batch's capacity
  }
  return 0;
}

// The views arrays read lately, per env (each worker thread has its own), the
// last used first. Reading one costs 26 N-API calls (about 0.8 us here), paid by
// every rx() and tx() of every socket: at a frame or two per wake-up, as
// request/response traffic comes, that was a large part of the router's CPU per
// request. A hit costs three calls. The references are weak, so a cached batch is
// still freed with its Batch; a hit means the same array object, still alive. A
// views array must not be changed once passed (src/io/afpacket.ts makes each
// once per Batch and never touches it again).
#define BATCH_CACHE 8
typedef struct {
  napi_ref ref[BATCH_CACHE];
  batch_t b[BATCH_CACHE];
  int n;
} batch_cache_t;

static void free_batch_cache(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  free(data);  // the references go with the env
}

static batch_cache_t *batch_cache(napi_env env) {
  void *data = NULL;
  if (napi_get_instance_data(env, &data) == napi_ok && data) return data;
  batch_cache_t *c = calloc(1, sizeof *c);
  if (c && napi_set_instance_data(env, c, free_batch_cache, NULL) != napi_ok) {
    free(c);
    return NULL;
  }
  return c;
}

// Makes (ref, b) entry 0, the entries before place `at` moving down one (`at`: its
// own place, or c->n for a new one).
static void put_front(batch_cache_t *c, int at, napi_ref ref, const batch_t *b) {
  memmove(&c->ref[1], &c->ref[0], (size_t)at * sizeof c->ref[0]);
  memmove(&c->b[1], &c->b[0], (size_t)at * sizeof c->b[0]);
  c->ref[0] = ref;
  c->b[0] = *b;
}

// Fills b from the views array: from the cache when it holds this array, else read and cached.
static int get_batch(napi_env env, napi_value arr, batch_t *b) {
  batch_cache_t *c = batch_cache(env);
  if (!c) return read_batch(env, arr, b);
  for (int i = 0; i < c->n; i++) {
    napi_value v = NULL;
    bool same = false;
    if (napi_get_reference_value(env, c->ref[i], &v) != napi_ok || v == NULL) continue;
    if (napi_strict_equals(env, v, arr, &same) != napi_ok || !same) continue;
    *b = c->b[i];
    put_front(c, i, c->ref[i], b);
    return 0;
  }
  if (read_batch(env, arr, b)) return -1;
  napi_ref r;
  if (napi_create_reference(env, arr, 0, &r) != napi_ok) return 0;  // read, just not cached
  if (c->n == BATCH_CACHE) napi_delete_reference(env, c->ref[--c->n]);  // the least recently used
  put_front(c, c->n++, r, b);
  return 0;
}

#endif
