/*
 * udp-batch: a Node-API addon that receives UDP datagrams in batches with recvmmsg(2) into one buffer shared
 * with JavaScript, and calls JavaScript once per batch (up to 64 datagrams) instead of once per datagram.
 *
 * Why it exists: Node's dgram costs ~6.4 µs of CPU per datagram on the reference machine (a recvmsg per
 * datagram, a 64 KiB buffer allocation, a rinfo object with an address string, and a JS callback with its
 * async bookkeeping), which alone caps one core near 1.1 M sFlow samples/s before any decoding. See
 * docs/benchmarks.md for the figures. The sFlow intake uses this addon when it is built and falls back to
 * dgram when it is not (appliance/src/intake/native-udp.ts).
 *
 * It runs on the main thread or in a worker thread (each environment gets its own sockets and polls its own
 * event loop). With reusePort, several sockets (one per receive thread) bind the same address with
 * SO_REUSEPORT and the kernel spreads datagrams over them by flow hash, so one agent's datagrams stay on one
 * socket, in order. A socket still open when its environment goes away (a worker thread that died) is closed
 * by an environment cleanup hook: a dead socket left in a SO_REUSEPORT group would keep receiving its share of
 * the datagrams with nobody reading them.
 *
 * JS API (exports):
 *   open(host, port, ipv6, receiveBufferBytes, onBatch[, reusePort]) -> { handle, data, lengths, port, receiveBufferBytes }
 *     data: ArrayBuffer of BATCH × SLOT bytes; datagram i of a batch is at i × SLOT, lengths[i] bytes long
 *     (negative: the datagram was longer than SLOT and was cut). onBatch(count) runs on the main thread and
 *     must finish with the buffer before it returns. Throws an Error with .code = errno name on failure.
 *   close(handle)
 *   SLOT, BATCH: numbers.
 */
#define _GNU_SOURCE
#define NAPI_VERSION 8
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <node_api.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

#define BATCH 64
#define SLOT 9216 /* a jumbo frame: no router sends sFlow datagrams larger */
/* Batches per wake-up before yielding to the event loop: 4 × 64 datagrams (~1,800 sFlow samples, ~2 ms of the main
 * thread's work). With 16 the API waited behind up to four times that: bench/api at 600 k samples/s, alternating
 * runs, dashboard p99 13-17 ms and live stream p99 13-17 ms with 4 against 47-49 ms and 41-52 ms with 16. */
#define ROUNDS 4

typedef struct {
  int fd;
  int closing;
  int env_gone; /* the environment is being torn down: no Node-API calls from on_closed */
  uv_poll_t poll;
  napi_env env;
  napi_ref callback;
  napi_ref data_ref;
  napi_ref lengths_ref;
  napi_async_context context;
  napi_ref resource;
  uint8_t *data;
  int32_t *lengths;
  struct mmsghdr msgs[BATCH];
  struct iovec iov[BATCH];
} receiver_t;

#define CHECK(call)                                                                 \
  do {                                                                              \
    if ((call) != napi_ok) {                                                        \
      napi_throw_error(env, "BW_UDP_BATCH", "Node-API call failed: " #call);        \
      return NULL;                                                                  \
    }                                                                               \
  } while (0)

static napi_value throw_errno(napi_env env, const char *what, int err) {
  char message[256];
  snprintf(message, sizeof message, "%s: %s", what, strerror(err));
  napi_throw_error(env, strerrorname_np(err) ? strerrorname_np(err) : "EUNKNOWN", message);
  return NULL;
}

static void on_readable(uv_poll_t *poll, int status, int events) {
  (void)events;
  receiver_t *r = poll->data;
  if (status < 0 || r->closing) return;
  napi_env env = r->env;
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return;
  napi_value callback, resource, argv[1];
  napi_get_reference_value(env, r->callback, &callback);
  napi_get_reference_value(env, r->resource, &resource);
  for (int round = 0; round < ROUNDS && !r->closing; round++) {
    int n = recvmmsg(r->fd, r->msgs, BATCH, MSG_DONTWAIT, NULL);
    if (n <= 0) break;
    for (int i = 0; i < n; i++) {
      int len = (int)r->msgs[i].msg_len;
      r->lengths[i] = (r->msgs[i].msg_hdr.msg_flags & MSG_TRUNC) ? -len : len;
    }
    napi_create_int32(env, n, &argv[0]);
    napi_value result;
    if (napi_make_callback(env, r->context, resource, callback, 1, argv, &result) != napi_ok) {
      /* The JS side catches everything; if something still escaped, report it as uncaught, once. */
      bool pending = false;
      napi_is_exception_pending(env, &pending);
      if (pending) {
        napi_value exception;
        napi_get_and_clear_last_exception(env, &exception);
        napi_fatal_exception(env, exception);
      }
      break;
    }
    if (n < BATCH) break;
  }
  napi_close_handle_scope(env, scope);
}

static void on_closed(uv_handle_t *handle) {
  receiver_t *r = handle->data;
  napi_env env = r->env;
  if (r->env_gone) {
    free(r);
    return;
  }
  napi_delete_reference(env, r->callback);
  napi_delete_reference(env, r->data_ref);
  napi_delete_reference(env, r->lengths_ref);
  napi_delete_reference(env, r->resource);
  napi_async_destroy(env, r->context);
  free(r);
}

/* Stops polling, closes the fd (the port is free at once) and lets libuv release the handle. */
static void close_receiver(receiver_t *r) {
  r->closing = 1;
  uv_poll_stop(&r->poll);
  close(r->fd);
  r->fd = -1;
  uv_close((uv_handle_t *)&r->poll, on_closed);
}

/* The environment (a worker thread) ends with the socket still open. */
static void on_env_cleanup(void *arg) {
  receiver_t *r = arg;
  if (r->closing) return;
  r->env_gone = 1;
  close_receiver(r);
}

static napi_value js_open(napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value argv[6];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 5) {
    napi_throw_type_error(env, NULL, "open(host, port, ipv6, receiveBufferBytes, onBatch[, reusePort])");
    return NULL;
  }
  char host[64];
  size_t host_len;
  int32_t port, rcvbuf;
  bool ipv6, reuse_port = false;
  CHECK(napi_get_value_string_utf8(env, argv[0], host, sizeof host, &host_len));
  CHECK(napi_get_value_int32(env, argv[1], &port));
  CHECK(napi_get_value_bool(env, argv[2], &ipv6));
  CHECK(napi_get_value_int32(env, argv[3], &rcvbuf));
  if (argc >= 6) {
    napi_valuetype type;
    CHECK(napi_typeof(env, argv[5], &type));
    if (type == napi_boolean) CHECK(napi_get_value_bool(env, argv[5], &reuse_port));
  }

  struct sockaddr_storage addr;
  socklen_t addr_len;
  memset(&addr, 0, sizeof addr);
  if (ipv6) {
    struct sockaddr_in6 *a = (struct sockaddr_in6 *)&addr;
    a->sin6_family = AF_INET6;
    a->sin6_port = htons((uint16_t)port);
    if (inet_pton(AF_INET6, host, &a->sin6_addr) != 1) return throw_errno(env, "bad IPv6 address", EINVAL);
    addr_len = sizeof *a;
  } else {
    struct sockaddr_in *a = (struct sockaddr_in *)&addr;
    a->sin_family = AF_INET;
    a->sin_port = htons((uint16_t)port);
    if (inet_pton(AF_INET, host, &a->sin_addr) != 1) return throw_errno(env, "bad IPv4 address", EINVAL);
    addr_len = sizeof *a;
  }
  int fd = socket(ipv6 ? AF_INET6 : AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return throw_errno(env, "socket", errno);
  if (ipv6) {
    int on = 1;
    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof on);
  }
  /* With CAP_NET_ADMIN (the appliance runs as root) SO_RCVBUFFORCE grants the size asked for beyond
   * net.core.rmem_max, so sflow.receiveBufferBytes holds without a sysctl: a receiver descheduled for a while
   * (a busy machine) then loses nothing until the buffer, not rmem_max, is full. Without it, SO_RCVBUF (capped). */
  if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof rcvbuf) != 0) setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
  if (reuse_port) {
    int on = 1;
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof on) != 0) {
      int err = errno;
      close(fd);
      return throw_errno(env, "setsockopt(SO_REUSEPORT)", err);
    }
  }
  if (bind(fd, (struct sockaddr *)&addr, addr_len) != 0) {
    int err = errno;
    close(fd);
    return throw_errno(env, "bind", err);
  }
  int granted = 0;
  socklen_t optlen = sizeof granted;
  getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &granted, &optlen);
  struct sockaddr_storage bound;
  socklen_t bound_len = sizeof bound;
  getsockname(fd, (struct sockaddr *)&bound, &bound_len);
  int bound_port = ntohs(ipv6 ? ((struct sockaddr_in6 *)&bound)->sin6_port : ((struct sockaddr_in *)&bound)->sin_port);

  receiver_t *r = calloc(1, sizeof *r);
  r->fd = fd;
  r->env = env;
  napi_value data, lengths;
  void *data_ptr, *lengths_ptr;
  CHECK(napi_create_arraybuffer(env, (size_t)BATCH * SLOT, &data_ptr, &data));
  CHECK(napi_create_arraybuffer(env, BATCH * sizeof(int32_t), &lengths_ptr, &lengths));
  r->data = data_ptr;
  r->lengths = lengths_ptr;
  CHECK(napi_create_reference(env, data, 1, &r->data_ref));
  CHECK(napi_create_reference(env, lengths, 1, &r->lengths_ref));
  CHECK(napi_create_reference(env, argv[4], 1, &r->callback));
  napi_value resource, name;
  CHECK(napi_create_object(env, &resource));
  CHECK(napi_create_reference(env, resource, 1, &r->resource));
  CHECK(napi_create_string_utf8(env, "breakwater.udpBatch", NAPI_AUTO_LENGTH, &name));
  CHECK(napi_async_init(env, resource, name, &r->context));
  for (int i = 0; i < BATCH; i++) {
    r->iov[i].iov_base = r->data + (size_t)i * SLOT;
    r->iov[i].iov_len = SLOT;
    r->msgs[i].msg_hdr.msg_iov = &r->iov[i];
    r->msgs[i].msg_hdr.msg_iovlen = 1;
  }
  uv_loop_t *loop;
  CHECK(napi_get_uv_event_loop(env, &loop));
  uv_poll_init(loop, &r->poll, fd);
  r->poll.data = r;
  uv_poll_start(&r->poll, UV_READABLE, on_readable);
  CHECK(napi_add_env_cleanup_hook(env, on_env_cleanup, r));

  napi_value out, handle, v;
  CHECK(napi_create_object(env, &out));
  CHECK(napi_create_external(env, r, NULL, NULL, &handle));
  CHECK(napi_set_named_property(env, out, "handle", handle));
  CHECK(napi_set_named_property(env, out, "data", data));
  CHECK(napi_set_named_property(env, out, "lengths", lengths));
  CHECK(napi_create_int32(env, bound_port, &v));
  CHECK(napi_set_named_property(env, out, "port", v));
  CHECK(napi_create_int32(env, granted, &v));
  CHECK(napi_set_named_property(env, out, "receiveBufferBytes", v));
  return out;
}

static napi_value js_close(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  receiver_t *r;
  CHECK(napi_get_value_external(env, argv[0], (void **)&r));
  if (r->closing) return NULL;
  napi_remove_env_cleanup_hook(env, on_env_cleanup, r);
  /* A stopped poll handle no longer watches the fd, so it can be closed now: the port is free when close()
   * returns (a caller may bind it again at once); the handle itself is released on the next loop turn. */
  close_receiver(r);
  return NULL;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_value fn, v;
  napi_create_function(env, "open", NAPI_AUTO_LENGTH, js_open, NULL, &fn);
  napi_set_named_property(env, exports, "open", fn);
  napi_create_function(env, "close", NAPI_AUTO_LENGTH, js_close, NULL, &fn);
  napi_set_named_property(env, exports, "close", fn);
  napi_create_int32(env, SLOT, &v);
  napi_set_named_property(env, exports, "SLOT", v);
  napi_create_int32(env, BATCH, &v);
  napi_set_named_property(env, exports, "BATCH", v);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
