/*
 * sflow-replay: sends sFlow datagrams that Breakwater's TypeScript encoder wrote into a replay file, at a
 * paced rate, with sendmmsg(2). It exists because Node's socket.send costs several microseconds per call:
 * a Node generator would saturate its own core long before a receiver does, and the benchmark would
 * measure the generator. Compiled by bench/ingest at run time (gcc -O2); it is not part of the appliance.
 *
 * Replay file (little-endian), written by appliance/src/synthetic/sflow-generator.ts:
 *   header  : u32 magic 'BWSR' (0x52535742), u32 version 1, u32 datagram count, u32 reserved
 *   datagram: u16 length, u16 patch count, patches[count] { u16 offset, u16 zero, u32 increment }, bytes
 *             padded to 4
 * A patch names a big-endian u32 sequence number inside the datagram (datagram sequence, flow/counter
 * sample sequence) that must advance by `increment` on each pass over the file, so that a receiver sees
 * continuous sequences, not a reset on every loop.
 *
 * Usage: sflow-replay FILE HOST PORT DATAGRAMS_PER_SEC SECONDS [MAX_DATAGRAMS [START]]
 * Pacing: by default it spins while the next datagram is due within 50 us (exact pacing; it keeps its core busy,
 * which bench/ingest accepts by pinning it to a core of its own). With SFLOW_REPLAY_SLEEP=1 it sleeps until the
 * next datagram is due instead (timer slack 1 us), sending what fell due in one sendmmsg: bursts of a few
 * datagrams, a few percent of a core in user time. bench/api uses that: its load client shares the generator's
 * core, and a spinning neighbour delayed the client's own timers by CFS slices (~20 ms), which it then measured as
 * latency. SFLOW_REPLAY_TICK_US=N makes it sleep at least N us (bench/api: 1,000): waking for every few datagrams
 * cost 76-95 % of a core in kernel time at 400-600 k samples/s on a 2-vCPU VM, 1 ms ticks 26-40 %. The JSON line
 * carries its own user and system CPU (getrusage): on loopback its sends also run the receive side's kernel path.
 * Stops by itself after SECONDS or MAX_DATAGRAMS (0 = no count limit). START is the number of datagrams sent
 * by earlier runs, so that a run continues the sequences where the last one stopped. Prints one JSON line.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BURST 64

struct patch { uint16_t offset; uint32_t increment; uint32_t base; };
struct datagram { uint8_t *bytes; uint16_t length; uint16_t npatches; struct patch *patches; };

static volatile sig_atomic_t stop_requested = 0;
static void on_signal(int sig) { (void)sig; stop_requested = 1; }

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint32_t rd32le(const uint8_t *p) { return p[0] | (p[1] << 8) | (p[2] << 16) | ((uint32_t)p[3] << 24); }
static uint16_t rd16le(const uint8_t *p) { return (uint16_t)(p[0] | (p[1] << 8)); }
static uint32_t rd32be(const uint8_t *p) { return ((uint32_t)p[0] << 24) | (p[1] << 16) | (p[2] << 8) | p[3]; }
static void wr32be(uint8_t *p, uint32_t v) { p[0] = v >> 24; p[1] = v >> 16; p[2] = v >> 8; p[3] = v; }

static void die(const char *msg) {
  fprintf(stderr, "sflow-replay: %s: %s\n", msg, strerror(errno));
  exit(2);
}

int main(int argc, char **argv) {
  if (argc < 6) {
    fprintf(stderr, "usage: %s FILE HOST PORT DATAGRAMS_PER_SEC SECONDS [MAX_DATAGRAMS [START]]\n", argv[0]);
    return 2;
  }
  const char *file = argv[1];
  const char *host = argv[2];
  int port = atoi(argv[3]);
  double rate = atof(argv[4]);
  double seconds = atof(argv[5]);
  uint64_t max_datagrams = argc > 6 ? strtoull(argv[6], NULL, 10) : 0;
  uint64_t start_at = argc > 7 ? strtoull(argv[7], NULL, 10) : 0;
  if (rate <= 0 || seconds <= 0 || port <= 0 || port > 65535) { fprintf(stderr, "sflow-replay: bad arguments\n"); return 2; }

  FILE *f = fopen(file, "rb");
  if (!f) die("open replay file");
  fseek(f, 0, SEEK_END);
  long size = ftell(f);
  fseek(f, 0, SEEK_SET);
  uint8_t *raw = malloc((size_t)size);
  if (!raw || fread(raw, 1, (size_t)size, f) != (size_t)size) die("read replay file");
  fclose(f);
  if (size < 16 || rd32le(raw) != 0x52535742u || rd32le(raw + 4) != 1) { fprintf(stderr, "sflow-replay: not a replay file\n"); return 2; }
  uint32_t count = rd32le(raw + 8);
  struct datagram *dg = calloc(count, sizeof *dg);
  size_t off = 16;
  for (uint32_t i = 0; i < count; i++) {
    if (off + 4 > (size_t)size) { fprintf(stderr, "sflow-replay: truncated file\n"); return 2; }
    dg[i].length = rd16le(raw + off);
    dg[i].npatches = rd16le(raw + off + 2);
    off += 4;
    dg[i].patches = calloc(dg[i].npatches ? dg[i].npatches : 1, sizeof(struct patch));
    for (uint16_t p = 0; p < dg[i].npatches; p++) {
      dg[i].patches[p].offset = rd16le(raw + off);
      dg[i].patches[p].increment = rd32le(raw + off + 4);
      off += 8;
    }
    if (off + dg[i].length > (size_t)size) { fprintf(stderr, "sflow-replay: truncated file\n"); return 2; }
    dg[i].bytes = raw + off;
    for (uint16_t p = 0; p < dg[i].npatches; p++) {
      if (dg[i].patches[p].offset + 4u > dg[i].length) { fprintf(stderr, "sflow-replay: patch outside datagram\n"); return 2; }
      dg[i].patches[p].base = rd32be(dg[i].bytes + dg[i].patches[p].offset);
    }
    off += (dg[i].length + 3u) & ~3u;
  }

  struct sockaddr_storage dst;
  socklen_t dstlen;
  memset(&dst, 0, sizeof dst);
  int family;
  struct sockaddr_in *d4 = (struct sockaddr_in *)&dst;
  struct sockaddr_in6 *d6 = (struct sockaddr_in6 *)&dst;
  if (inet_pton(AF_INET, host, &d4->sin_addr) == 1) {
    d4->sin_family = AF_INET; d4->sin_port = htons(port); dstlen = sizeof *d4; family = AF_INET;
  } else if (inet_pton(AF_INET6, host, &d6->sin6_addr) == 1) {
    d6->sin6_family = AF_INET6; d6->sin6_port = htons(port); dstlen = sizeof *d6; family = AF_INET6;
  } else { fprintf(stderr, "sflow-replay: bad host %s\n", host); return 2; }

  int fd = socket(family, SOCK_DGRAM, 0);
  if (fd < 0) die("socket");
  int sndbuf = 4 << 20;
  setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
  if (connect(fd, (struct sockaddr *)&dst, dstlen) != 0) die("connect");

  signal(SIGINT, on_signal);
  signal(SIGTERM, on_signal);

  struct mmsghdr msgs[BURST];
  struct iovec iovs[BURST];
  memset(msgs, 0, sizeof msgs);

  const char *sleep_env = getenv("SFLOW_REPLAY_SLEEP");
  const int sleep_mode = sleep_env != NULL && strcmp(sleep_env, "1") == 0;
  if (sleep_mode) prctl(PR_SET_TIMERSLACK, 1000UL, 0, 0, 0);
  /* SFLOW_REPLAY_TICK_US=N (sleep mode): sleep at least N us between sends, sending what fell due meanwhile
   * (in sendmmsg calls of up to BURST). Each wake-up costs the sender kernel time (timer, scheduler; in a VM a
   * timer programming exit too), so fewer of them leave more of a shared machine to the receiver. */
  const char *tick_env = getenv("SFLOW_REPLAY_TICK_US");
  const uint64_t tick_ns = tick_env != NULL ? (uint64_t)strtoull(tick_env, NULL, 10) * 1000ull : 0;
  const uint64_t start = now_ns();
  const uint64_t end = start + (uint64_t)(seconds * 1e9);
  const double ns_per_datagram = 1e9 / rate;
  uint64_t sent = 0, attempted = 0, errors = 0, index = start_at % count, loop = start_at / count;
  while (!stop_requested) {
    uint64_t t = now_ns();
    if (t >= end) break;
    if (max_datagrams && attempted >= max_datagrams) break;
    /* How many datagrams should have left by now; send what is due, at most one burst at a time. */
    uint64_t due = (uint64_t)((double)(t - start) / ns_per_datagram) + 1;
    if (due <= attempted) {
      uint64_t next = start + (uint64_t)((double)attempted * ns_per_datagram);
      if (sleep_mode && next > t) {
        const uint64_t wait = next - t > tick_ns ? next - t : tick_ns;
        struct timespec ts = { (time_t)(wait / 1000000000ull), (long)(wait % 1000000000ull) };
        nanosleep(&ts, NULL);
      } else if (next > t + 50000) {
        struct timespec ts = { 0, (long)(next - t - 20000) };
        nanosleep(&ts, NULL);
      }
      continue;
    }
    uint64_t n = due - attempted;
    if (n > BURST) n = BURST;
    if (max_datagrams && attempted + n > max_datagrams) n = max_datagrams - attempted;
    for (uint64_t k = 0; k < n; k++) {
      struct datagram *d = &dg[index];
      for (uint16_t p = 0; p < d->npatches; p++) {
        wr32be(d->bytes + d->patches[p].offset, d->patches[p].base + (uint32_t)(loop * d->patches[p].increment));
      }
      iovs[k].iov_base = d->bytes;
      iovs[k].iov_len = d->length;
      msgs[k].msg_hdr.msg_iov = &iovs[k];
      msgs[k].msg_hdr.msg_iovlen = 1;
      if (++index == count) { index = 0; loop++; }
    }
    /* Datagrams that fail are not retried (their sequence numbers are skipped): `errors` says how many,
     * and a receiver sees them as sequence gaps, which is what they are. */
    attempted += n;
    int r = sendmmsg(fd, msgs, (unsigned)n, 0);
    if (r < 0) {
      /* ECONNREFUSED on a connected UDP socket: nobody listening (yet). */
      errors += n;
      continue;
    }
    sent += (uint64_t)r;
    if ((uint64_t)r < n) errors += n - (uint64_t)r;
  }
  uint64_t elapsed = now_ns() - start;
  /* Its own CPU, user and system: on loopback, sendmmsg also runs the receive side's kernel path (softirq in the
   * sender's context), so this is the CPU the generator takes from a machine it shares with the receiver. */
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  const unsigned long long user_ns = (unsigned long long)ru.ru_utime.tv_sec * 1000000000ull + (unsigned long long)ru.ru_utime.tv_usec * 1000ull;
  const unsigned long long system_ns = (unsigned long long)ru.ru_stime.tv_sec * 1000000000ull + (unsigned long long)ru.ru_stime.tv_usec * 1000ull;
  printf("{\"sent\":%llu,\"attempted\":%llu,\"errors\":%llu,\"elapsedNs\":%llu,\"loops\":%llu,\"userNs\":%llu,\"systemNs\":%llu}\n", (unsigned long long)sent,
         (unsigned long long)attempted, (unsigned long long)errors, (unsigned long long)elapsed, (unsigned long long)loop, user_ns, system_ns);
  return 0;
}
