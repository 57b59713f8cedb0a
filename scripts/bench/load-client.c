/*
 * Load generator for `npm run bench:broadcast`: holds thousands of Pomelo WebSocket clients in one
 * process and counts what they receive.
 *
 * Why C: the generator shares this 2-core machine with the servers it measures. A Node generator
 * spent ~14 µs of CPU per received message (one JS callback per socket read), a full core at
 * 5,000 clients × 20 Hz, so neither raw uWS nor Pomona could be given the CPU to deliver every
 * per-player tick. Here a read is one recv() on an epoll-ready socket and the parse is a few
 * byte compares: the generator's CPU is a small fraction of the servers' (see docs/benchmarks.md).
 *
 * Protocol, per client: TCP connect, HTTP/1.1 Upgrade (101 checked), then Pomelo: handshake,
 * handshake-ack, heartbeats at the interval the server names, optionally one request (`--join`).
 * Server frames: binary/text messages, close (echoed, then counted as dropped), ping (pong).
 * Client frames are masked, as RFC 6455 requires. Fragmented frames are rejected: the servers
 * benchmarked here never fragment.
 *
 * Counting (as the report fields in scripts/bench/broadcast.ts describe): a push (Pomelo message
 * type 3) whose body holds "k":<tick> counts the client-tick once per client however many
 * messages carried it; gaps are ticks skipped; every 8th message's first push is sampled for
 * latency against its "t":<epoch ms>; a message holding "p":[ (the state) and "you": (the
 * client's own push) counts as holding both.
 *
 * Control: Node IPC on the fd named by NODE_CHANNEL_FD (line-delimited JSON, spawned with stdio
 * 'ipc'): in {kind: reset | report | open | exit}; out {kind: progress} every second and
 * {kind: report} on request.
 *
 *   cc -O2 -o load-client load-client.c
 *   load-client --url ws://127.0.0.1:PORT/ --clients N [--first I] [--join ROUTE] [--open N] [--connectPerSecond N]
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BUCKETS 10000
#define BUCKET_MS 0.05
#define READ_CHUNK (256 * 1024)
#define MAX_FRAME (16 * 1024 * 1024)
#define MAX_CLOSE_REASONS 16

enum phase { CONNECTING, UPGRADING, OPEN, CLOSED };

struct client {
  int fd;
  int index;
  enum phase phase;
  /* Bytes of a frame (or upgrade response) split across reads. */
  uint8_t *pending;
  size_t pending_len, pending_cap;
  long long last_tick, window_first, window_last;
  double heartbeat_s, next_heartbeat;
  int connected;
};

static struct client *clients;
static int client_count, first_index, open_limit, created, per_batch = 100;
static const char *join_route = "";
static char host[64] = "127.0.0.1", path[256] = "/";
static int port;
static int epfd, ipc_fd = -1;
static uint8_t read_buffer[READ_CHUNK];

static uint32_t histogram[BUCKETS];
static long long delivered, messages, packages, with_both, gaps, errors, closed_count, connected_count, sample_counter;
static struct { int code; long long count; } close_reasons[MAX_CLOSE_REASONS];
static double window_start;

static double now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_REALTIME, &t);
  return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static double mono_s(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec / 1e9;
}

static void die(const char *what) {
  fprintf(stderr, "load-client: %s: %s\n", what, strerror(errno));
  exit(1);
}

static void ipc_write(const char *text, size_t length) {
  if (ipc_fd < 0) return;
  while (length > 0) {
    ssize_t n = write(ipc_fd, text, length);
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      exit(0); /* the parent is gone */
    }
    text += n;
    length -= (size_t)n;
  }
}

static uint32_t rng_state = 2463534242u;
static uint32_t next_random(void) {
  rng_state ^= rng_state << 13;
  rng_state ^= rng_state >> 17;
  rng_state ^= rng_state << 5;
  return rng_state;
}

/* Writes all of it: a client's frames are a few bytes and the socket buffer is empty enough. */
static void send_all(struct client *c, const uint8_t *data, size_t length) {
  while (length > 0) {
    ssize_t n = send(c->fd, data, length, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      errors++;
      return;
    }
    data += n;
    length -= (size_t)n;
  }
}

/* A masked client frame carrying one payload. */
static void send_frame(struct client *c, int opcode, const uint8_t *payload, size_t length) {
  uint8_t frame[16 + 512];
  if (length > 512) return;
  size_t header = 2;
  frame[0] = 0x80 | opcode;
  if (length < 126) frame[1] = 0x80 | length;
  else {
    frame[1] = 0x80 | 126;
    frame[2] = length >> 8;
    frame[3] = length & 0xff;
    header = 4;
  }
  uint32_t mask = next_random();
  memcpy(frame + header, &mask, 4);
  for (size_t i = 0; i < length; i++) frame[header + 4 + i] = payload[i] ^ frame[header + (i & 3)];
  send_all(c, frame, header + 4 + length);
}

/* One Pomelo package: type, 3-byte big-endian length, body. */
static void send_package(struct client *c, int type, const uint8_t *body, size_t length) {
  uint8_t package[512];
  if (length + 4 > sizeof package) return;
  package[0] = type;
  package[1] = length >> 16;
  package[2] = (length >> 8) & 0xff;
  package[3] = length & 0xff;
  if (length) memcpy(package + 4, body, length);
  send_frame(c, 2, package, length + 4);
}

static void count_close(int code) {
  for (int i = 0; i < MAX_CLOSE_REASONS; i++) {
    if (close_reasons[i].count == 0 || close_reasons[i].code == code) {
      close_reasons[i].code = code;
      close_reasons[i].count++;
      return;
    }
  }
}

static void close_client(struct client *c, int code) {
  if (c->phase == CLOSED) return;
  if (c->phase == OPEN) count_close(code);
  if (c->phase == OPEN || c->phase == UPGRADING) closed_count++;
  c->phase = CLOSED;
  epoll_ctl(epfd, EPOLL_CTL_DEL, c->fd, NULL);
  close(c->fd);
  free(c->pending);
  c->pending = NULL;
  c->pending_len = c->pending_cap = 0;
}

static void open_client(int slot) {
  struct client *c = &clients[slot];
  memset(c, 0, sizeof *c);
  c->index = first_index + slot;
  c->last_tick = c->window_first = c->window_last = -1;
  c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  if (c->fd < 0) die("socket");
  int one = 1;
  setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  struct sockaddr_in address = { .sin_family = AF_INET, .sin_port = htons(port) };
  inet_pton(AF_INET, host, &address.sin_addr);
  if (connect(c->fd, (struct sockaddr *)&address, sizeof address) < 0 && errno != EINPROGRESS) {
    errors++;
    close(c->fd);
    c->phase = CLOSED;
    return;
  }
  c->phase = CONNECTING;
  struct epoll_event event = { .events = EPOLLIN | EPOLLOUT | EPOLLRDHUP, .data.u32 = slot };
  if (epoll_ctl(epfd, EPOLL_CTL_ADD, c->fd, &event) < 0) die("epoll_ctl");
}

static void on_connected(struct client *c, int slot) {
  int error = 0;
  socklen_t length = sizeof error;
  getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &error, &length);
  if (error != 0) {
    errors++;
    close_client(c, 0);
    return;
  }
  struct epoll_event event = { .events = EPOLLIN | EPOLLRDHUP, .data.u32 = slot };
  epoll_ctl(epfd, EPOLL_CTL_MOD, c->fd, &event);
  char request[512];
  int n = snprintf(request, sizeof request,
                   "GET %s HTTP/1.1\r\nHost: %s:%d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                   "Sec-WebSocket-Key: %08x%08xAAAAAA==\r\nSec-WebSocket-Version: 13\r\n\r\n",
                   path, host, port, next_random(), next_random());
  c->phase = UPGRADING;
  send_all(c, (const uint8_t *)request, (size_t)n);
}

/* The number after `marker` in [from, limit), or -1 when absent or not a number. */
static double read_number(const uint8_t *from, const uint8_t *limit, const char *marker, size_t marker_len) {
  const uint8_t *at = memmem(from, (size_t)(limit - from), marker, marker_len);
  if (at == NULL) return -1;
  at += marker_len;
  char digits[40];
  size_t n = 0;
  while (at < limit && n < sizeof digits - 1 && *at != ',' && *at != '}') digits[n++] = (char)*at++;
  digits[n] = 0;
  char *end;
  double value = strtod(digits, &end);
  return end == digits ? -1 : value;
}

static int contains(const uint8_t *from, const uint8_t *limit, const char *marker, size_t marker_len) {
  return memmem(from, (size_t)(limit - from), marker, marker_len) != NULL;
}

static void on_handshake(struct client *c, const uint8_t *body, const uint8_t *end) {
  double code = read_number(body, end, "\"code\":", 7);
  if (code != 200) {
    errors++;
    close_client(c, 0);
    return;
  }
  send_package(c, 2, NULL, 0);
  c->connected = 1;
  connected_count++;
  double heartbeat = read_number(body, end, "\"heartbeat\":", 12);
  if (heartbeat > 0) {
    c->heartbeat_s = heartbeat;
    c->next_heartbeat = mono_s() + heartbeat;
  }
  if (join_route[0]) {
    /* Request: flag 0 (type request, route as a string), id 1, route, JSON body. */
    uint8_t message[300];
    size_t route_len = strlen(join_route), n = 0;
    message[n++] = 0;
    message[n++] = 1;
    message[n++] = (uint8_t)route_len;
    memcpy(message + n, join_route, route_len);
    n += route_len;
    n += (size_t)snprintf((char *)message + n, sizeof message - n, "{\"name\":\"bot-%d\"}", c->index);
    send_package(c, 4, message, n);
  }
}

/* A push with a tick number: counts the client-tick once, samples latency on a message's first push. Returns 1 if counted as a push. */
static int on_data(struct client *c, const uint8_t *body, const uint8_t *end, int first_in_message) {
  if (body >= end || (body[0] >> 1) != 3) return 0;
  double value = read_number(body, end, "\"k\":", 4);
  if (!(value >= 0)) return 0;
  long long tick = (long long)value;
  if (tick == c->last_tick) return 1;
  delivered++;
  if (c->last_tick >= 0 && tick > c->last_tick + 1) gaps += tick - c->last_tick - 1;
  if (tick > c->last_tick) c->last_tick = tick;
  if (c->window_first < 0) c->window_first = tick;
  if (tick > c->window_last) c->window_last = tick;
  if (first_in_message && (++sample_counter & 7) == 0) {
    double sent = read_number(body, end, "\"t\":", 4);
    double latency = now_ms() - sent;
    long bucket = (long)(latency / BUCKET_MS);
    if (bucket < 0) bucket = 0;
    if (bucket >= BUCKETS) bucket = BUCKETS - 1;
    histogram[bucket]++;
  }
  return 1;
}

/* One WebSocket message: one or more Pomelo packages. */
static void on_message(struct client *c, const uint8_t *data, size_t length) {
  const uint8_t *at = data, *end = data + length;
  int pushes = 0, state = 0, own = 0;
  while (at + 4 <= end) {
    int type = at[0];
    size_t body_len = ((size_t)at[1] << 16) | ((size_t)at[2] << 8) | at[3];
    const uint8_t *body = at + 4;
    at = body + body_len;
    if (at > end) {
      errors++;
      return;
    }
    if (type == 4) {
      if (!on_data(c, body, at, pushes == 0)) continue;
      pushes++;
      if (!state && contains(body, at, "\"p\":[", 5)) state = 1;
      else if (!own && contains(body, at, "\"you\":", 6)) own = 1;
    } else if (type == 1) {
      on_handshake(c, body, at);
      if (c->phase == CLOSED) return;
    }
  }
  if (pushes == 0) return;
  messages++;
  packages += pushes;
  if (state && own) with_both++;
}

/* Frames in data[0, length); returns the bytes consumed (the rest is an incomplete frame). */
static size_t read_frames(struct client *c, const uint8_t *data, size_t length) {
  size_t offset = 0;
  while (c->phase == OPEN && length - offset >= 2) {
    const uint8_t *frame = data + offset;
    int fin = frame[0] & 0x80, opcode = frame[0] & 0x0f;
    if (frame[1] & 0x80) { errors++; close_client(c, 1002); return offset; } /* servers never mask */
    uint64_t payload = frame[1] & 0x7f;
    size_t header = 2;
    if (payload == 126) {
      if (length - offset < 4) break;
      payload = ((uint64_t)frame[2] << 8) | frame[3];
      header = 4;
    } else if (payload == 127) {
      if (length - offset < 10) break;
      payload = 0;
      for (int i = 2; i < 10; i++) payload = (payload << 8) | frame[i];
      header = 10;
    }
    if (payload > MAX_FRAME || !fin || opcode == 0) { errors++; close_client(c, 1002); return offset; }
    if (length - offset < header + payload) break;
    const uint8_t *body = frame + header;
    if (opcode == 1 || opcode == 2) on_message(c, body, (size_t)payload);
    else if (opcode == 8) {
      int code = payload >= 2 ? (body[0] << 8) | body[1] : 1005;
      send_frame(c, 8, body, payload >= 2 ? 2 : 0);
      close_client(c, code);
      return offset;
    } else if (opcode == 9) send_frame(c, 10, body, (size_t)payload);
    offset += header + (size_t)payload;
  }
  return offset;
}

/* The upgrade response ends at the blank line; 101 or the client fails. Returns bytes consumed, 0 if incomplete. */
static size_t read_upgrade(struct client *c, const uint8_t *data, size_t length) {
  const uint8_t *end = memmem(data, length, "\r\n\r\n", 4);
  if (end == NULL) {
    if (length > 16384) { errors++; close_client(c, 0); }
    return 0;
  }
  if (length < 12 || memcmp(data + 9, "101", 3) != 0) {
    errors++;
    close_client(c, 0);
    return 0;
  }
  c->phase = OPEN;
  static const uint8_t handshake[] = "{\"sys\":{\"type\":\"pomona-bench\",\"version\":\"0.1.0\"},\"user\":{}}";
  send_package(c, 1, handshake, sizeof handshake - 1);
  return (size_t)(end + 4 - data);
}

static size_t consume(struct client *c, const uint8_t *data, size_t length) {
  size_t offset = 0;
  if (c->phase == UPGRADING) {
    offset = read_upgrade(c, data, length);
    if (offset == 0) return 0;
  }
  return offset + read_frames(c, data + offset, length - offset);
}

static void grow_pending(struct client *c, size_t length) {
  if (length <= c->pending_cap) return;
  size_t cap = c->pending_cap ? c->pending_cap : 4096;
  while (cap < length) cap *= 2;
  c->pending = realloc(c->pending, cap);
  if (c->pending == NULL) die("realloc");
  c->pending_cap = cap;
}

static void on_readable(struct client *c) {
  for (;;) {
    ssize_t n = recv(c->fd, read_buffer, sizeof read_buffer, 0);
    if (n == 0) { close_client(c, 1006); return; }
    if (n < 0) {
      if (errno == EAGAIN) return;
      if (errno == EINTR) continue;
      close_client(c, 1006);
      return;
    }
    const uint8_t *data = read_buffer;
    size_t length = (size_t)n;
    if (c->pending_len > 0) {
      /* A frame split across reads: join it with the new bytes in the client's own buffer. */
      size_t total = c->pending_len + length;
      grow_pending(c, total);
      memcpy(c->pending + c->pending_len, data, length);
      size_t used = consume(c, c->pending, total);
      if (c->phase == CLOSED) return;
      memmove(c->pending, c->pending + used, total - used);
      c->pending_len = total - used;
    } else {
      size_t used = consume(c, data, length);
      if (c->phase == CLOSED) return;
      if (used < length) {
        grow_pending(c, length - used);
        memcpy(c->pending, data + used, length - used);
        c->pending_len = length - used;
      }
    }
    if ((size_t)n < sizeof read_buffer) return;
  }
}

static void send_progress(void) {
  char line[256];
  int n = snprintf(line, sizeof line, "{\"kind\":\"progress\",\"connected\":%lld,\"closed\":%lld,\"errors\":%lld,\"delivered\":%lld,\"gaps\":%lld}\n",
                   connected_count, closed_count, errors, delivered, gaps);
  ipc_write(line, (size_t)n);
}

static void send_report(void) {
  double window_s = mono_s() - window_start;
  long long expected = 0;
  for (int i = 0; i < created; i++)
    if (clients[i].window_first >= 0) expected += clients[i].window_last - clients[i].window_first + 1;
  size_t cap = BUCKETS * 12 + 4096, n = 0;
  char *line = malloc(cap);
  if (line == NULL) die("malloc");
  n += (size_t)snprintf(line + n, cap - n,
                        "{\"kind\":\"report\",\"windowS\":%.6f,\"expected\":%lld,\"connected\":%lld,\"closed\":%lld,\"errors\":%lld,"
                        "\"delivered\":%lld,\"messages\":%lld,\"packages\":%lld,\"withBoth\":%lld,\"gaps\":%lld,\"bucketMs\":%g,\"histogram\":[",
                        window_s, expected, connected_count, closed_count, errors, delivered, messages, packages, with_both, gaps, BUCKET_MS);
  for (int i = 0; i < BUCKETS; i++) n += (size_t)snprintf(line + n, cap - n, i ? ",%u" : "%u", histogram[i]);
  n += (size_t)snprintf(line + n, cap - n, "],\"closeReasons\":{");
  for (int i = 0; i < MAX_CLOSE_REASONS && close_reasons[i].count > 0; i++)
    n += (size_t)snprintf(line + n, cap - n, "%s\"%d\":%lld", i ? "," : "", close_reasons[i].code, close_reasons[i].count);
  n += (size_t)snprintf(line + n, cap - n, "}}\n");
  ipc_write(line, n);
  free(line);
}

static void reset_window(void) {
  window_start = mono_s();
  delivered = messages = packages = with_both = gaps = 0;
  memset(histogram, 0, sizeof histogram);
  for (int i = 0; i < created; i++) clients[i].window_first = clients[i].window_last = -1;
}

/* Control lines from the parent: {"kind":"reset"|"report"|"open"|"exit"}. */
static char ipc_line[4096];
static size_t ipc_len;
static void on_ipc(void) {
  ssize_t n = read(ipc_fd, ipc_line + ipc_len, sizeof ipc_line - ipc_len - 1);
  if (n <= 0) {
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
    exit(0); /* the parent is gone */
  }
  ipc_len += (size_t)n;
  ipc_line[ipc_len] = 0;
  char *line = ipc_line, *newline;
  while ((newline = strchr(line, '\n')) != NULL) {
    *newline = 0;
    if (strstr(line, "\"kind\":\"reset\"")) reset_window();
    else if (strstr(line, "\"kind\":\"report\"")) send_report();
    else if (strstr(line, "\"kind\":\"open\"")) open_limit = client_count;
    else if (strstr(line, "\"kind\":\"exit\"")) exit(0);
    line = newline + 1;
  }
  ipc_len = strlen(line);
  memmove(ipc_line, line, ipc_len);
  if (ipc_len == sizeof ipc_line - 1) ipc_len = 0; /* a line longer than any control message: drop it */
}

static void parse_url(const char *url) {
  if (sscanf(url, "ws://%63[^:/]:%d%255s", host, &port, path) < 2) {
    fprintf(stderr, "load-client: --url must be ws://HOST:PORT/PATH, got %s\n", url);
    exit(2);
  }
  if (path[0] != '/') strcpy(path, "/");
}

int main(int argc, char **argv) {
  const char *url = NULL;
  int connect_per_second = 2000;
  open_limit = -1;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!strcmp(argv[i], "--url")) url = argv[i + 1];
    else if (!strcmp(argv[i], "--clients")) client_count = atoi(argv[i + 1]);
    else if (!strcmp(argv[i], "--first")) first_index = atoi(argv[i + 1]);
    else if (!strcmp(argv[i], "--join")) join_route = argv[i + 1];
    else if (!strcmp(argv[i], "--open")) open_limit = atoi(argv[i + 1]);
    else if (!strcmp(argv[i], "--connectPerSecond")) connect_per_second = atoi(argv[i + 1]);
    else { fprintf(stderr, "load-client: unknown flag %s\n", argv[i]); return 2; }
  }
  if (url == NULL || client_count <= 0 || strlen(join_route) > 255) {
    fprintf(stderr, "usage: load-client --url ws://HOST:PORT/ --clients N [--first I] [--join ROUTE≤255] [--open N] [--connectPerSecond N]\n");
    return 2;
  }
  parse_url(url);
  if (open_limit < 0 || open_limit > client_count) open_limit = client_count;
  per_batch = connect_per_second / 20 > 0 ? connect_per_second / 20 : 1;
  rng_state ^= (uint32_t)getpid() * 2654435761u ^ (uint32_t)now_ms();
  clients = calloc((size_t)client_count, sizeof *clients);
  if (clients == NULL) die("calloc");
  epfd = epoll_create1(0);
  if (epfd < 0) die("epoll_create1");
  const char *channel = getenv("NODE_CHANNEL_FD");
  if (channel != NULL) {
    ipc_fd = atoi(channel);
    struct epoll_event event = { .events = EPOLLIN, .data.u32 = UINT32_MAX };
    if (epoll_ctl(epfd, EPOLL_CTL_ADD, ipc_fd, &event) < 0) die("epoll_ctl ipc");
  }
  window_start = mono_s();
  double next_open = mono_s(), next_progress = mono_s() + 1, next_heartbeat_scan = mono_s() + 0.25;
  struct epoll_event events[512];
  for (;;) {
    int ready = epoll_wait(epfd, events, 512, 10);
    if (ready < 0 && errno != EINTR) die("epoll_wait");
    for (int i = 0; i < ready; i++) {
      uint32_t slot = events[i].data.u32;
      if (slot == UINT32_MAX) { on_ipc(); continue; }
      struct client *c = &clients[slot];
      if (c->phase == CLOSED) continue;
      if (c->phase == CONNECTING) {
        if (events[i].events & (EPOLLOUT | EPOLLERR | EPOLLHUP)) on_connected(c, (int)slot);
        if (c->phase == CLOSED) continue;
      }
      if (events[i].events & (EPOLLIN | EPOLLRDHUP | EPOLLERR | EPOLLHUP)) on_readable(c);
    }
    double t = mono_s();
    if (t >= next_open) {
      for (int n = 0; n < per_batch && created < open_limit; n++) open_client(created++);
      next_open = t + 0.05;
    }
    if (t >= next_heartbeat_scan) {
      static const uint8_t heartbeat_package[4] = { 3, 0, 0, 0 };
      for (int i = 0; i < created; i++) {
        struct client *c = &clients[i];
        if (c->phase == OPEN && c->heartbeat_s > 0 && t >= c->next_heartbeat) {
          send_frame(c, 2, heartbeat_package, 4);
          c->next_heartbeat = t + c->heartbeat_s;
        }
      }
      next_heartbeat_scan = t + 0.25;
    }
    if (t >= next_progress) {
      send_progress();
      next_progress = t + 1;
    }
  }
}
