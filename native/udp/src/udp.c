/*
 * siplb_udp: the optional native UDP accelerator (issue 20). Node-API, C, Linux.
 *
 * One UDP socket polled by libuv (uv_poll_t on the fd). When it is readable, one recvmmsg(2)
 * reads up to SLOTS datagrams into preallocated slots, each is copied (packed, by memcpy) into the
 * receive slab, a Node Buffer JS holds, and JS is called ONCE for the batch, with each
 * datagram's offset in the slab, length and source address in a shared Int32Array (layout below).
 * JS hands each datagram up as a view on the slab: no allocation or C++ crossing per datagram.
 * The slab is REUSED: every batch is copied in from offset 0, so a datagram's bytes are valid
 * only until its batch callback returns, and whatever JS keeps past its handler it copies at the
 * place that keeps it (serial failover keeps the INVITE for a later attempt). A slab that is
 * never rewritten instead stays alive as long as any view on it does, and under load the views
 * a promoted object keeps made the old ones wait for a mark-compact (bench/MEMORY.md). A batch
 * that does not fit (big datagrams) gets a buffer of its own for that batch only; the slab (or
 * that buffer) is the second argument of a batch's callback whenever it differs from the last
 * batch's. Sends
 * made while JS handles the batch are copied into a send arena and leave in one sendmmsg(2) when
 * the batch callback returns; sends made outside a batch are flushed by JS on a setImmediate.
 * Nothing here throws into JS after bind: a failed send is reported through the error callback.
 *
 * Slot size. RFC 3261 §18.1.1: an element must be prepared to receive a 65535-byte datagram. A
 * slot is therefore SLOT_BYTES (64 KiB), so MSG_TRUNC cannot happen for any UDP datagram and no
 * datagram is ever re-read. The slots are one anonymous mmap that JS never sees: the kernel backs
 * only the pages a datagram actually wrote, so a batch of typical (< 4 KiB) SIP datagrams keeps
 * about one page per slot resident, not 64 KiB; a datagram is then copied into the slab at its own
 * size (a 65535-byte one into a slab of its own when it does not fit). MSG_TRUNC is still checked
 * (a kernel with a bigger datagram, e.g. an IPv6 jumbogram, would set it): such a datagram is
 * handed up with length -1 and JS counts it as dropped. A keepalive (RFC 5626 §4.4.1: a datagram of
 * CRLFs, or an empty one) is not copied: length -2, JS counts it.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <node_api.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

#define SLOTS 32                 /* = libuv's own read batch (uv__udp_recvmsg), so the backlog meter reads the same */
#define SLOT_BYTES 65536         /* >= 65535, RFC 3261 §18.1.1 */
#define SLOT_STRIDE (SLOT_BYTES + 64) /* slots do not all start on the same cache set */
#define SLOTS_MAP_BYTES ((size_t)SLOTS * SLOT_STRIDE)
#define META_INTS 20             /* per slot: offset, length, port, family, v4 key, text length, text[56] */
#define META_TEXT_BYTE 24
#define SEND_MAX 64              /* datagrams per sendmmsg */
#define SEND_ARENA (256 * 1024)  /* bytes queued before a forced flush */
#define SLAB_BYTES (64 * 1024)   /* receive slab, reused by every batch; a batch bigger than that gets a buffer of its own */
#define LEN_TRUNCATED -1
#define LEN_KEEPALIVE -2
#define LEN_NO_MEMORY -3

#define HOST_CACHE 4

typedef struct {
  char host[INET6_ADDRSTRLEN + 1];
  size_t len; /* 0: empty */
  struct sockaddr_storage ss;
  socklen_t alen;
} host_entry;

typedef struct {
  napi_env env;
  int fd;
  int family;
  int polling;      /* uv_poll started */
  int closing;      /* close() called */
  int handle_open;  /* uv handle initialised and not yet closed */
  int want_write;   /* the poll also watches POLLOUT: the send buffer was full */
  uv_poll_t poll;
  napi_ref self;    /* strong while open: the object must outlive its poll */
  napi_ref on_batch;
  napi_ref on_error;
  napi_async_context async;
  uint8_t *slots;
  int32_t *meta;
  napi_ref slab_ref;  /* the receive slab (a Buffer of SLAB_BYTES), strong, reused by every batch */
  uint8_t *own_slab;  /* its memory */
  uint8_t *slab;      /* where the current batch is copied: own_slab, or a big batch's own buffer */
  size_t slab_len;
  size_t slab_used;
  struct mmsghdr rmsg[SLOTS];
  struct iovec riov[SLOTS];
  struct sockaddr_storage rfrom[SLOTS];
  /* send queue */
  uint8_t *arena;
  size_t arena_used;
  int sq;           /* queued datagrams */
  int sq_head;      /* first not yet sent (after a partial send that hit EAGAIN) */
  struct mmsghdr smsg[SEND_MAX];
  struct iovec siov[SEND_MAX];
  struct sockaddr_storage sto[SEND_MAX];
  host_entry hosts[HOST_CACHE];
  int host_next;
} udp_t;

static void report_error(udp_t *u, int err, const char *syscall, const struct sockaddr_storage *to);

/* ---- helpers ----------------------------------------------------------------------------- */

static napi_value make_int(napi_env env, int64_t v) {
  napi_value r;
  napi_create_int64(env, v, &r);
  return r;
}

static napi_value make_str(napi_env env, const char *s) {
  napi_value r;
  napi_create_string_latin1(env, s, NAPI_AUTO_LENGTH, &r);
  return r;
}

static udp_t *unwrap(napi_env env, napi_callback_info info, size_t *argc, napi_value *argv) {
  napi_value self;
  void *data = NULL;
  if (napi_get_cb_info(env, info, argc, argv, &self, NULL) != napi_ok) return NULL;
  if (napi_unwrap(env, self, &data) != napi_ok) return NULL;
  return (udp_t *)data;
}

/* Parse an IP literal into a sockaddr for this socket's family. A v6 socket reaches an IPv4 peer
 * through the v4-mapped form (::ffff:a.b.c.d), as a dual-stack socket does. */
static int to_sockaddr(udp_t *u, const char *host, int port, struct sockaddr_storage *ss, socklen_t *len) {
  memset(ss, 0, sizeof(*ss));
  if (u->family == AF_INET) {
    struct sockaddr_in *a = (struct sockaddr_in *)ss;
    a->sin_family = AF_INET;
    a->sin_port = htons((uint16_t)port);
    if (inet_pton(AF_INET, host, &a->sin_addr) != 1) return EINVAL;
    *len = sizeof(*a);
    return 0;
  }
  struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;
  a6->sin6_family = AF_INET6;
  a6->sin6_port = htons((uint16_t)port);
  if (inet_pton(AF_INET6, host, &a6->sin6_addr) == 1) {
    *len = sizeof(*a6);
    return 0;
  }
  struct in_addr v4;
  if (inet_pton(AF_INET, host, &v4) != 1) return EINVAL;
  a6->sin6_addr.s6_addr[10] = 0xff;
  a6->sin6_addr.s6_addr[11] = 0xff;
  memcpy(&a6->sin6_addr.s6_addr[12], &v4, 4);
  *len = sizeof(*a6);
  return 0;
}

/* ---- sending ----------------------------------------------------------------------------- */

static void update_poll(udp_t *u);

/* Send what is queued. EAGAIN keeps the rest queued and waits for POLLOUT; any other error
 * costs the one datagram it names (reported), and the rest still leave. */
static void flush_queue(udp_t *u) {
  while (u->sq_head < u->sq && u->fd >= 0) {
    int n = sendmmsg(u->fd, &u->smsg[u->sq_head], (unsigned)(u->sq - u->sq_head), MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n > 0) {
      u->sq_head += n;
      continue;
    }
    int err = errno;
    if (err == EINTR) continue;
    if (err == EAGAIN || err == EWOULDBLOCK) {
      if (!u->want_write) {
        u->want_write = 1;
        update_poll(u);
      }
      return;
    }
    report_error(u, err, "sendmmsg", &u->sto[u->sq_head]);
    u->sq_head++;
  }
  u->sq = 0;
  u->sq_head = 0;
  u->arena_used = 0;
  if (u->want_write) {
    u->want_write = 0;
    update_poll(u);
  }
}

/* The destination for `host` (an IP literal) and `port`: parsed addresses are cached for the last
 * HOST_CACHE hosts (a proxy sends to few peers; inet_pton costs ~200 instructions a send). */
static int destination(udp_t *u, const char *host, size_t hl, int port, struct sockaddr_storage *ss, socklen_t *len) {
  for (int k = 0; k < HOST_CACHE; k++) {
    host_entry *e = &u->hosts[k];
    if (e->len != hl || e->len == 0 || memcmp(e->host, host, hl) != 0) continue;
    memcpy(ss, &e->ss, sizeof(*ss));
    *len = e->alen;
    if (u->family == AF_INET) ((struct sockaddr_in *)ss)->sin_port = htons((uint16_t)port);
    else ((struct sockaddr_in6 *)ss)->sin6_port = htons((uint16_t)port);
    return 0;
  }
  int err = to_sockaddr(u, host, port, ss, len);
  if (err != 0 || hl >= sizeof(u->hosts[0].host)) return err;
  host_entry *e = &u->hosts[u->host_next];
  u->host_next = (u->host_next + 1) % HOST_CACHE;
  memcpy(e->host, host, hl);
  e->len = hl;
  memcpy(&e->ss, ss, sizeof(*ss));
  e->alen = *len;
  return 0;
}

static napi_value do_send(napi_env env, udp_t *u, size_t argc, napi_value *argv);

/* send(buffer, host, port) -> 0 queued, or a positive errno (EINVAL: not an IP literal of a
 * usable family; EBADF: closed; ENOBUFS: the queue is full while the kernel's buffer is too). */
static napi_value js_send(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  udp_t *u = unwrap(env, info, &argc, argv);
  return do_send(env, u, argc, argv);
}

/* The same send, as the function bind() returns: its data is the socket, so no napi_unwrap (a
 * private-symbol property lookup, ~450 instructions) per datagram. Valid while the socket object
 * is: the JS wrapper holds both and stops calling it at close. */
static napi_value js_send_bound(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  void *data = NULL;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, &data) != napi_ok) return make_int(env, EINVAL);
  return do_send(env, (udp_t *)data, argc, argv);
}

static napi_value do_send(napi_env env, udp_t *u, size_t argc, napi_value *argv) {
  if (u == NULL || argc < 3) return make_int(env, EINVAL);
  if (u->fd < 0 || u->closing) return make_int(env, EBADF);
  void *data;
  size_t len;
  if (napi_get_buffer_info(env, argv[0], &data, &len) != napi_ok) return make_int(env, EINVAL);
  char host[INET6_ADDRSTRLEN + 1];
  size_t hl;
  if (napi_get_value_string_latin1(env, argv[1], host, sizeof(host), &hl) != napi_ok) return make_int(env, EINVAL);
  int32_t port;
  if (napi_get_value_int32(env, argv[2], &port) != napi_ok || port <= 0 || port > 65535) return make_int(env, EINVAL);
  if (len > SLOT_BYTES) return make_int(env, EMSGSIZE);
  if (u->sq == SEND_MAX || u->arena_used + len > SEND_ARENA) {
    flush_queue(u);
    if (u->sq != 0) return make_int(env, ENOBUFS); /* still blocked on EAGAIN */
  }
  int i = u->sq;
  socklen_t alen;
  int err = destination(u, host, hl, port, &u->sto[i], &alen);
  if (err != 0) return make_int(env, err);
  uint8_t *dst = u->arena + u->arena_used;
  memcpy(dst, data, len);
  u->arena_used += (len + 15) & ~(size_t)15;
  u->siov[i].iov_base = dst;
  u->siov[i].iov_len = len;
  memset(&u->smsg[i], 0, sizeof(u->smsg[i]));
  u->smsg[i].msg_hdr.msg_name = &u->sto[i];
  u->smsg[i].msg_hdr.msg_namelen = alen;
  u->smsg[i].msg_hdr.msg_iov = &u->siov[i];
  u->smsg[i].msg_hdr.msg_iovlen = 1;
  u->sq++;
  return make_int(env, 0);
}

static napi_value js_flush(napi_env env, napi_callback_info info) {
  size_t argc = 0;
  udp_t *u = unwrap(env, info, &argc, NULL);
  if (u != NULL && u->sq > 0) flush_queue(u);
  return make_int(env, u == NULL ? 0 : u->sq - u->sq_head);
}

/* ---- receiving --------------------------------------------------------------------------- */

/* Meta entry: [2] port, [3] family 4|6, [4] IPv4 address (network byte order, as 4 bytes),
 * [5] text length and, from byte META_TEXT_BYTE, the IPv6 address as text. */
static void describe_source(int32_t *m, const struct sockaddr_storage *ss) {
  if (ss->ss_family == AF_INET) {
    const struct sockaddr_in *a = (const struct sockaddr_in *)ss;
    m[2] = ntohs(a->sin_port);
    m[3] = 4;
    memcpy(&m[4], &a->sin_addr, 4);
    /* No text: JS names an IPv4 source from these 4 bytes, once per peer (inet_ntop formats
     * with sprintf, ~1,500 instructions, and a proxy hears from few peers). */
    m[5] = 0;
    return;
  }
  const struct sockaddr_in6 *a6 = (const struct sockaddr_in6 *)ss;
  m[2] = ntohs(a6->sin6_port);
  m[3] = 6;
  m[4] = 0;
  char *text = (char *)m + META_TEXT_BYTE;
  inet_ntop(AF_INET6, &a6->sin6_addr, text, INET6_ADDRSTRLEN);
  m[5] = (int32_t)strlen(text);
}

/* A keepalive: nothing but CR, LF (and NUL, as some phones pad) — or nothing at all. */
static int is_keepalive(const uint8_t *p, size_t len) {
  for (size_t i = 0; i < len; i++)
    if (p[i] != '\r' && p[i] != '\n' && p[i] != 0) return 0;
  return 1;
}

/* Where this batch's `need` bytes go: the reused slab from offset 0 (the previous batch's
 * datagrams are dead: JS copied what it keeps), or, when they do not fit, a buffer of this batch's
 * own. Returns the Buffer to hand JS when it differs from the previous batch's (made on the first
 * batch), else NULL; *ok = 0 when no memory could be had. */
static napi_value ensure_slab(udp_t *u, size_t need, int *ok) {
  *ok = 1;
  napi_env env = u->env;
  napi_value buf;
  void *data;
  if (need > SLAB_BYTES) {
    if (napi_create_buffer(env, need, &data, &buf) != napi_ok) {
      *ok = 0;
      return NULL;
    }
    u->slab = data; /* freed by the GC once JS drops it */
    u->slab_len = need;
    u->slab_used = 0;
    return buf;
  }
  int changed = u->slab != u->own_slab || u->slab == NULL;
  if (u->slab_ref == NULL) {
    if (napi_create_buffer(env, SLAB_BYTES, &data, &buf) != napi_ok) {
      *ok = 0;
      return NULL;
    }
    napi_create_reference(env, buf, 1, &u->slab_ref);
    u->own_slab = data;
  } else if (changed) {
    napi_get_reference_value(env, u->slab_ref, &buf);
  }
  u->slab = u->own_slab;
  u->slab_len = SLAB_BYTES;
  u->slab_used = 0;
  return changed ? buf : NULL;
}

static void on_poll(uv_poll_t *h, int status, int events) {
  udp_t *u = (udp_t *)h->data;
  napi_env env = u->env;
  if (u->fd < 0) return;
  napi_handle_scope hs;
  napi_open_handle_scope(env, &hs);

  if (events & UV_WRITABLE) flush_queue(u);
  if ((events & UV_READABLE) && status == 0) {
    for (int i = 0; i < SLOTS; i++) {
      u->rmsg[i].msg_hdr.msg_namelen = sizeof(u->rfrom[i]);
      u->rmsg[i].msg_hdr.msg_flags = 0;
    }
    int n;
    do n = recvmmsg(u->fd, u->rmsg, SLOTS, MSG_DONTWAIT, NULL);
    while (n < 0 && errno == EINTR);
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
      report_error(u, errno, "recvmmsg", NULL); /* e.g. ECONNREFUSED from an earlier send's ICMP */
    } else if (n > 0) {
      size_t need = 0;
      for (int i = 0; i < n; i++) {
        int32_t *m = u->meta + i * META_INTS;
        const uint8_t *data = u->slots + (size_t)i * SLOT_STRIDE;
        size_t len = u->rmsg[i].msg_len;
        if (u->rmsg[i].msg_hdr.msg_flags & MSG_TRUNC) m[1] = LEN_TRUNCATED;
        else if (is_keepalive(data, len)) m[1] = LEN_KEEPALIVE;
        else {
          m[1] = (int32_t)len;
          need += len;
        }
        describe_source(m, &u->rfrom[i]);
      }
      int ok;
      napi_value argv[2];
      argv[1] = ensure_slab(u, need, &ok);
      if (argv[1] == NULL) napi_get_undefined(env, &argv[1]);
      for (int i = 0; i < n; i++) {
        int32_t *m = u->meta + i * META_INTS;
        if (m[1] < 0) continue;
        if (!ok) {
          m[1] = LEN_NO_MEMORY; /* no slab could be made: the datagram is lost, as the kernel drops one */
          continue;
        }
        memcpy(u->slab + u->slab_used, u->slots + (size_t)i * SLOT_STRIDE, (size_t)m[1]);
        m[0] = (int32_t)u->slab_used;
        u->slab_used += (size_t)m[1];
      }
      napi_value self, cb, ignored;
      napi_get_reference_value(env, u->self, &self);
      napi_get_reference_value(env, u->on_batch, &cb);
      napi_create_int32(env, n, &argv[0]);
      /* napi_make_callback: the batch runs as a callback from the event loop (async context
       * "siplb:udp", then process.nextTick callbacks and microtasks), with Node's callback scope
       * on the stack; a napi_open_callback_scope around napi_call_function heap-allocates one
       * and adds a TryCatch: ~450 instructions more a wake-up (bench/callgrind-live.sh). What
       * the batch's microtasks send is queued like the rest and leaves in the sendmmsg below. */
      if (napi_make_callback(env, u->async, self, cb, 2, argv, &ignored) == napi_pending_exception) {
        /* A bug in a handler: surfaced as an uncaught exception, as it would be from a dgram
         * 'message' listener (app.ts's handler catches its own). */
        napi_value exc;
        napi_get_and_clear_last_exception(env, &exc);
        napi_fatal_exception(env, exc);
      }
      if (u->sq > 0) flush_queue(u);
    }
  }
  napi_close_handle_scope(env, hs);
}

static void update_poll(udp_t *u) {
  if (!u->polling || u->closing) return;
  uv_poll_start(&u->poll, UV_READABLE | (u->want_write ? UV_WRITABLE : 0), on_poll);
}

static void report_error(udp_t *u, int err, const char *syscall, const struct sockaddr_storage *to) {
  napi_env env = u->env;
  napi_handle_scope hs;
  napi_open_handle_scope(env, &hs);
  char host[INET6_ADDRSTRLEN] = "";
  int port = 0;
  if (to != NULL && to->ss_family == AF_INET) {
    const struct sockaddr_in *a = (const struct sockaddr_in *)to;
    inet_ntop(AF_INET, &a->sin_addr, host, sizeof(host));
    port = ntohs(a->sin_port);
  } else if (to != NULL && to->ss_family == AF_INET6) {
    const struct sockaddr_in6 *a6 = (const struct sockaddr_in6 *)to;
    inet_ntop(AF_INET6, &a6->sin6_addr, host, sizeof(host));
    port = ntohs(a6->sin6_port);
  }
  napi_value cb, self, ignored, argv[4];
  napi_get_reference_value(env, u->on_error, &cb);
  napi_get_reference_value(env, u->self, &self);
  argv[0] = make_int(env, err);
  argv[1] = make_str(env, syscall);
  argv[2] = make_str(env, host);
  argv[3] = make_int(env, port);
  /* A callback from the event loop (on_poll's recvmmsg or flush) or from inside JS (send, flush):
   * napi_make_callback is right for both (nested, it leaves the tick queue to the outer scope). */
  if (cb != NULL && napi_make_callback(env, u->async, self, cb, 4, argv, &ignored) == napi_pending_exception) {
    napi_value exc;
    napi_get_and_clear_last_exception(env, &exc);
    napi_fatal_exception(env, exc);
  }
  napi_close_handle_scope(env, hs);
}

/* ---- lifecycle --------------------------------------------------------------------------- */

static void on_handle_closed(uv_handle_t *h) {
  udp_t *u = (udp_t *)h->data;
  u->handle_open = 0;
  if (u->self == NULL) free(u); /* the object was already finalised */
}

static void shut(udp_t *u) {
  if (u->closing) return;
  u->closing = 1;
  if (u->sq > 0) flush_queue(u); /* what was queued before close still leaves */
  if (u->polling) {
    uv_poll_stop(&u->poll);
    u->polling = 0;
  }
  if (u->fd >= 0) {
    close(u->fd);
    u->fd = -1;
  }
  if (u->handle_open) uv_close((uv_handle_t *)&u->poll, on_handle_closed);
}

static void finalize(napi_env env, void *data, void *hint) {
  udp_t *u = (udp_t *)data;
  shut(u);
  if (u->on_batch) napi_delete_reference(env, u->on_batch);
  if (u->on_error) napi_delete_reference(env, u->on_error);
  if (u->slab_ref) napi_delete_reference(env, u->slab_ref);
  if (u->async) napi_async_destroy(env, u->async);
  free(u->arena);
  if (u->slots != NULL) munmap(u->slots, SLOTS_MAP_BYTES); /* shut() closed the fd: nothing reads into them */
  u->slots = NULL;
  u->self = NULL;
  if (!u->handle_open) free(u);
}

static void cleanup_hook(void *arg) {
  udp_t *u = (udp_t *)arg;
  shut(u);
}

/* new UdpSocket(onBatch(n, newSlab | undefined), onError(errno, syscall, host, port)) */
static napi_value js_new(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2], self;
  napi_get_cb_info(env, info, &argc, argv, &self, NULL);
  if (argc < 2) {
    napi_throw_type_error(env, NULL, "UdpSocket(onBatch, onError)");
    return NULL;
  }
  udp_t *u = calloc(1, sizeof(udp_t));
  if (u != NULL) u->arena = malloc(SEND_ARENA);
  if (u == NULL || u->arena == NULL) {
    free(u);
    napi_throw_error(env, "ENOMEM", "cannot allocate the UDP accelerator");
    return NULL;
  }
  u->env = env;
  u->fd = -1;
  napi_create_reference(env, argv[0], 1, &u->on_batch);
  napi_create_reference(env, argv[1], 1, &u->on_error);
  napi_value name = make_str(env, "siplb:udp");
  napi_async_init(env, self, name, &u->async);
  napi_wrap(env, self, u, finalize, NULL, &u->self); /* weak until bound */
  return self;
}

/* bind(family 4|6, host, port, rcvbuf, sndbuf) ->
 *   [0, boundHost, boundPort, grantedRcv, grantedSnd, metaArrayBuffer, send(buffer, host, port)]
 *   or [errno, syscall] */
static napi_value js_bind(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5], res;
  udp_t *u = unwrap(env, info, &argc, argv);
  napi_create_array(env, &res);
  int fam, port, rcv, snd;
  char host[INET6_ADDRSTRLEN + 1];
  size_t hl;
  const char *fail = NULL;
  int err = 0;
  if (u == NULL || argc < 5 || u->fd >= 0 || u->closing) {
    err = EINVAL;
    fail = "bind";
    goto out;
  }
  napi_get_value_int32(env, argv[0], &fam);
  napi_get_value_string_latin1(env, argv[1], host, sizeof(host), &hl);
  napi_get_value_int32(env, argv[2], &port);
  napi_get_value_int32(env, argv[3], &rcv);
  napi_get_value_int32(env, argv[4], &snd);
  u->family = fam == 6 ? AF_INET6 : AF_INET;
  struct sockaddr_storage ss;
  socklen_t alen;
  if ((err = to_sockaddr(u, host, port, &ss, &alen)) != 0) {
    fail = "inet_pton";
    goto out;
  }
  u->fd = socket(u->family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (u->fd < 0) {
    err = errno;
    fail = "socket";
    goto out;
  }
  /* As libuv does for dgram: the size asked for is set before bind; the kernel caps it at
   * net.core.rmem_max / wmem_max and reports twice the value (its own bookkeeping). */
  setsockopt(u->fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv));
  setsockopt(u->fd, SOL_SOCKET, SO_SNDBUF, &snd, sizeof(snd));
  if (bind(u->fd, (struct sockaddr *)&ss, alen) != 0) {
    err = errno;
    fail = "bind";
    close(u->fd);
    u->fd = -1;
    goto out;
  }
  getsockname(u->fd, (struct sockaddr *)&ss, &alen);
  char bound[INET6_ADDRSTRLEN] = "";
  int bport;
  if (ss.ss_family == AF_INET) {
    inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, bound, sizeof(bound));
    bport = ntohs(((struct sockaddr_in *)&ss)->sin_port);
  } else {
    inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr, bound, sizeof(bound));
    bport = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
  }
  int grcv = 0, gsnd = 0;
  socklen_t ol = sizeof(int);
  getsockopt(u->fd, SOL_SOCKET, SO_RCVBUF, &grcv, &ol);
  ol = sizeof(int);
  getsockopt(u->fd, SOL_SOCKET, SO_SNDBUF, &gsnd, &ol);

  /* Slots: one anonymous mapping, only ever read here (unmapped when the object is finalised). */
  napi_value meta_ab;
  void *map = mmap(NULL, SLOTS_MAP_BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (map == MAP_FAILED) {
    err = errno;
    fail = "mmap";
    close(u->fd);
    u->fd = -1;
    goto out;
  }
  u->slots = map;
  void *meta_data;
  napi_create_arraybuffer(env, (size_t)SLOTS * META_INTS * 4, &meta_data, &meta_ab);
  u->meta = meta_data;
  /* The meta ArrayBuffer is kept alive by the JS wrapper, which holds it for the socket's life. */
  for (int i = 0; i < SLOTS; i++) {
    u->riov[i].iov_base = u->slots + (size_t)i * SLOT_STRIDE;
    u->riov[i].iov_len = SLOT_BYTES;
    memset(&u->rmsg[i], 0, sizeof(u->rmsg[i]));
    u->rmsg[i].msg_hdr.msg_name = &u->rfrom[i];
    u->rmsg[i].msg_hdr.msg_iov = &u->riov[i];
    u->rmsg[i].msg_hdr.msg_iovlen = 1;
  }
  uv_loop_t *loop;
  napi_get_uv_event_loop(env, &loop);
  uv_poll_init(loop, &u->poll, u->fd);
  u->poll.data = u;
  u->handle_open = 1;
  u->polling = 1;
  uv_poll_start(&u->poll, UV_READABLE, on_poll);
  uint32_t rc;
  napi_reference_ref(env, u->self, &rc); /* strong while the poll runs */
  napi_add_env_cleanup_hook(env, cleanup_hook, u);

  napi_set_element(env, res, 0, make_int(env, 0));
  napi_set_element(env, res, 1, make_str(env, bound));
  napi_set_element(env, res, 2, make_int(env, bport));
  napi_set_element(env, res, 3, make_int(env, grcv));
  napi_set_element(env, res, 4, make_int(env, gsnd));
  napi_set_element(env, res, 5, meta_ab);
  napi_value send_fn;
  napi_create_function(env, "send", NAPI_AUTO_LENGTH, js_send_bound, u, &send_fn);
  napi_set_element(env, res, 6, send_fn);
  return res;
out:
  napi_set_element(env, res, 0, make_int(env, err));
  napi_set_element(env, res, 1, make_str(env, fail));
  return res;
}

static napi_value js_close(napi_env env, napi_callback_info info) {
  size_t argc = 0;
  udp_t *u = unwrap(env, info, &argc, NULL);
  if (u == NULL || u->closing) return NULL;
  int was_bound = u->fd >= 0;
  shut(u);
  napi_remove_env_cleanup_hook(env, cleanup_hook, u);
  if (was_bound) {
    uint32_t rc;
    napi_reference_unref(env, u->self, &rc);
  }
  return NULL;
}

/* errnoName(errno) -> "ECONNREFUSED" etc., for messages JS builds (uv_err_name wants -errno). */
static napi_value js_errname(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int32_t e = 0;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc > 0) napi_get_value_int32(env, argv[0], &e);
  return make_str(env, uv_err_name(-e));
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor methods[] = {
      {"bind", NULL, js_bind, NULL, NULL, NULL, napi_default, NULL},
      {"send", NULL, js_send, NULL, NULL, NULL, napi_default, NULL},
      {"flush", NULL, js_flush, NULL, NULL, NULL, napi_default, NULL},
      {"close", NULL, js_close, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_value cls, fn;
  napi_define_class(env, "UdpSocket", NAPI_AUTO_LENGTH, js_new, NULL, 4, methods, &cls);
  napi_set_named_property(env, exports, "UdpSocket", cls);
  napi_create_function(env, "errnoName", NAPI_AUTO_LENGTH, js_errname, NULL, &fn);
  napi_set_named_property(env, exports, "errnoName", fn);
  napi_set_named_property(env, exports, "slots", make_int(env, SLOTS));
  napi_set_named_property(env, exports, "metaInts", make_int(env, META_INTS));
  napi_set_named_property(env, exports, "metaTextByte", make_int(env, META_TEXT_BYTE));
  napi_set_named_property(env, exports, "lenTruncated", make_int(env, LEN_TRUNCATED));
  napi_set_named_property(env, exports, "lenKeepalive", make_int(env, LEN_KEEPALIVE));
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
