// SPDX-License-Identifier: GPL-2.0
/*
 * The kernel side of tcpconnlat, tcpconnect and tcpconnlat-exporter.
 *
 * Only stable interfaces: the BTF tracepoint sock:inet_sock_set_state (no tracefs, no
 * kprobes, no fentry), and for tcpconnect and -d, programs on the cgroup v2 root.
 *
 *  CLOSE -> SYN_SENT   runs in the connecting task: filter it, and keep who it is
 *                      (pid, tid, uid, comm, cgroup, time) in a map of connects in flight
 *                      (keyed by the socket's address);
 *                      the exporter counts the attempt here. The source port is still 0.
 *  TCP_CONNECT_CB      (sockops, tcpconnect only) runs in the same task once the source port
 *                      is chosen, just before the SYN leaves: report or count the attempt.
 *  SYN_SENT -> ...     often runs in softirq or timer context, where "current" is some other
 *                      task: take the identity from the map (and delete it), then an event
 *                      or a histogram.
 *  cgroup_skb/ingress  (-d) copies DNS responses for user space.
 *  cgroup_rmdir        (names) tells user space that a cgroup it was given the names of is gone.
 *
 * Every connect on the host runs handle_set_state, about 7 times (both ends of a loopback
 * connect, every state): the transitions it ignores cost two compares, and what it needs of
 * the socket is read directly (tp_btf gives a BTF pointer), not through probe-read helpers.
 */
#include <stdbool.h>
#include <linux/types.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include "kernel_types.h"
#include "tcpconn.h"

#define AF_INET 2
#define AF_INET6 10
#define IPPROTO_TCP 6
#define TCP_ESTABLISHED 1
#define TCP_SYN_SENT 2
#define TCP_CLOSE 7
#define ENETUNREACH 101
#define ETIMEDOUT 110
#define ECONNREFUSED 111
#define EHOSTUNREACH 113

/* ==== Maps and config ================================================================== */

const volatile struct config cfg = {};

/*
 * bench/kernel-parts compiles variants that stop after step N (-DBENCH_STOP_AFTER=N), to
 * price each part of the per-connect work: BENCH_STEP(n) returns when step n or an earlier one
 * is the last asked for. The tools' object has no such stop.
 */
#ifdef BENCH_STOP_AFTER
#define BENCH_STEP(n) do { if (BENCH_STOP_AFTER <= (n)) return; } while (0)
#else
#define BENCH_STEP(n) do { } while (0)
#endif

/* Who started a connect; kept from SYN_SENT until the connect is answered or fails. */
struct identity {
	__u64 start_ns;
	__u64 cgroup_id;
	__u32 pid;
	__u32 tid;
	__u32 uid;
	__u16 dport;   /* host order; sockops' remote_port has changed byte order across kernels */
	char comm[TASK_COMM_LEN];
	__u32 daddr_group;  /* cfg.daddr_groups: looked up once, for the attempt and the answer */
	__u32 peer;         /* BY_PEER: looked up once, the same way */
	__s32 so_error;     /* an error the application read with getsockopt(SO_ERROR): handle_so_error */
};

/*
 * Connects in flight, by socket (identity_key). Every socket leaves SYN_SENT through
 * inet_sock_set_state, where its entry is deleted, so the map holds only connects waiting for
 * an answer; when that many are in flight at once, a connect is not traced, and counted.
 * A hash map, not socket storage: creating a socket's storage cost ~950 ns a connect, an
 * update of this map about half that (bench/kernel-parts). Not preallocated: entries are
 * allocated from per-CPU caches as connects start (no faster preallocated, and 6 MB less).
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 65536);
	__type(key, __u64);
	__type(value, struct identity);
} identities SEC(".maps");

/*
 * The key of a socket's identity: its address. tcpconnect's sockops program has the same
 * pointer in ctx->sk (Linux 5.10 has it; a socket cookie, read in a tracing program, needs 5.12).
 */
static __always_inline __u64 identity_key(const void *sk)
{
	return (__u64)sk;
}

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 16 * 1024 * 1024); /* set by user space (-b); 16 MiB: ~130,000 events */
} events SEC(".maps");

/* Destination ports to trace (host order) when cfg.filter_dports. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u16);
	__type(value, __u8);
} dports SEC(".maps");

/* Replaced by the user's pinned maps for --cgroupmap / --mntnsmap (bcc's special filtering). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1);
	__type(key, __u64);
	__type(value, __u64);
} cgroup_map SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1);
	__type(key, __u64);
	__type(value, __u64);
} mount_ns_set SEC(".maps");

/* Nothing is lost silently: user space reports these (enum loss), and acts on enum counter. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, NR_COUNTERS);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

static __always_inline void count_up(__u32 which)
{
	__u64 *n = bpf_map_lookup_elem(&counters, &which);

	if (n)
		__sync_fetch_and_add(n, 1);
}

/* ==== Identity: who connected, kept at CLOSE -> SYN_SENT ================================ */

static __always_inline bool traced_task(__u32 tgid, __u32 uid)
{
	if (cfg.tgid && cfg.tgid != tgid)
		return false;
	if (cfg.filter_uid && cfg.uid != uid)
		return false;
	if (cfg.filter_cgroups) {
		__u64 cgroup_id = bpf_get_current_cgroup_id();

		if (!bpf_map_lookup_elem(&cgroup_map, &cgroup_id))
			return false;
	}
	if (cfg.filter_mntns) {
		struct task_struct *task = (struct task_struct *)bpf_get_current_task();
		__u64 inum = BPF_CORE_READ(task, nsproxy, mnt_ns, ns.inum);

		if (!bpf_map_lookup_elem(&mount_ns_set, &inum))
			return false;
	}
	return true;
}

static __always_inline bool v4_mapped(const __u8 *a)
{
	const __u32 *w = (const __u32 *)a;

	return w[0] == 0 && w[1] == 0 && w[2] == bpf_htonl(0xffff);
}

/*
 * Addresses as the kernel keeps them, read directly. An AF_INET6 socket talking to a
 * v4-mapped destination gets its v6 source address only after tcp_v4_connect() returns, so
 * its source is built from the v4 one.
 */
static __always_inline void read_daddr(const struct sock *sk, __u16 family, __u8 *daddr)
{
	__u32 *d = (__u32 *)daddr;

	if (family == AF_INET) {
		d[0] = sk->__sk_common.skc_daddr;
		return;
	}
	d[0] = sk->__sk_common.skc_v6_daddr.in6_u.u6_addr32[0];
	d[1] = sk->__sk_common.skc_v6_daddr.in6_u.u6_addr32[1];
	d[2] = sk->__sk_common.skc_v6_daddr.in6_u.u6_addr32[2];
	d[3] = sk->__sk_common.skc_v6_daddr.in6_u.u6_addr32[3];
}

static __always_inline void read_saddr(const struct sock *sk, __u16 family, const __u8 *daddr, __u8 *saddr)
{
	__u32 *s = (__u32 *)saddr;

	if (family == AF_INET) {
		s[0] = sk->__sk_common.skc_rcv_saddr;
	} else if (v4_mapped(daddr)) {
		s[0] = 0;
		s[1] = 0;
		s[2] = bpf_htonl(0xffff);
		s[3] = sk->__sk_common.skc_rcv_saddr;
	} else {
		s[0] = sk->__sk_common.skc_v6_rcv_saddr.in6_u.u6_addr32[0];
		s[1] = sk->__sk_common.skc_v6_rcv_saddr.in6_u.u6_addr32[1];
		s[2] = sk->__sk_common.skc_v6_rcv_saddr.in6_u.u6_addr32[2];
		s[3] = sk->__sk_common.skc_v6_rcv_saddr.in6_u.u6_addr32[3];
	}
}

static __always_inline void count_hist_attempt(const struct sock *sk, const struct identity *id, __u16 family);
static __always_inline __u32 daddr_group(const struct sock *sk, __u16 family);
static __always_inline __u32 peer_of(const struct sock *sk, __u16 family);

/* Cgroups whose names were sent (cfg.cgroup_names); an id evicted is only named again. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64);
	__type(value, __u8);
} cgroups_named SEC(".maps");

static __always_inline struct kernfs_node *kn_parent(struct kernfs_node *kn)
{
	if (bpf_core_field_exists(kn->__parent))
		return BPF_CORE_READ(kn, __parent);
	return BPF_CORE_READ((struct kernfs_node___old *)kn, parent);
}

/*
 * The cgroup this CPU named or found named last: a burst of connects comes from one cgroup,
 * and this check (an inlined per-CPU array slot) is cheaper than the hash look-up.
 */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} cgroup_last SEC(".maps");

/* Where a cgroup's names are put together before they are copied into the ring (too big for the stack). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct cgroup_event);
} cgroup_scratch SEC(".maps");

/*
 * The first time a cgroup connects, its path goes to user space (CGROUP_NAMES): from kernfs,
 * leaf first, so it can be named after the directory is gone. Only the names it has are
 * copied (a cgroup one level down costs a 144-byte record, not the 1.5 KiB struct). If the
 * ring is full, it is counted and the next connect from the cgroup tries again.
 */
static __always_inline void name_cgroup(__u64 cgroup_id)
{
	struct task_struct *task;
	struct kernfs_node *kn, *parent;
	struct cgroup_event *e;
	__u32 zero = 0;
	__u64 size, *last;
	__u8 one = 1;
	long n;

	last = bpf_map_lookup_elem(&cgroup_last, &zero);
	if (!last || *last == cgroup_id)
		return;
	if (bpf_map_lookup_elem(&cgroups_named, &cgroup_id)) {
		*last = cgroup_id;
		return;
	}
	e = bpf_map_lookup_elem(&cgroup_scratch, &zero);
	/* EEXIST: another CPU names it */
	if (!e || bpf_map_update_elem(&cgroups_named, &cgroup_id, &one, BPF_NOEXIST))
		return;
	e->kind = CGROUP_NAMES;
	e->cgroup_id = cgroup_id;
	e->depth = 0;
	e->truncated = 0;
	task = (struct task_struct *)bpf_get_current_task();
	kn = BPF_CORE_READ(task, cgroups, dfl_cgrp, kn);
	for (int i = 0; i < CGROUP_MAX_DEPTH && kn; i++) {
		parent = kn_parent(kn);
		if (!parent) /* the root: its name is not part of the path */
			break;
		n = bpf_probe_read_kernel_str(e->names[i], CGROUP_NAME_LEN, BPF_CORE_READ(kn, name));
		if (n < 0 || n >= CGROUP_NAME_LEN)
			e->truncated = 1;
		e->depth = i + 1;
		kn = parent;
	}
	if (kn && kn_parent(kn))
		e->truncated = 1;
	size = __builtin_offsetof(struct cgroup_event, names) + (__u64)e->depth * CGROUP_NAME_LEN;
	if (size > sizeof(*e))
		size = sizeof(*e);
	if (bpf_ringbuf_output(&events, e, size, 0)) {
		bpf_map_delete_elem(&cgroups_named, &cgroup_id);
		count_up(LOST_CGROUPS);
		return;
	}
	*last = cgroup_id;
}

static __always_inline void on_syn_sent(const struct sock *sk)
{
	__u16 family = sk->__sk_common.skc_family;
	__u64 pid_tgid;
	__u32 uid;
	struct identity id = {};
	__u64 key;
	__u16 dport;

	BENCH_STEP(1);
	if (sk->sk_protocol != IPPROTO_TCP || (family != AF_INET && family != AF_INET6))
		return;
	if (cfg.family && cfg.family != family)
		return;
	dport = bpf_ntohs(sk->__sk_common.skc_dport);
	if (cfg.filter_dports && !bpf_map_lookup_elem(&dports, &dport))
		return;
	/* every helper call counts here (on a VM a clock read cost ~90 ns, the cgroup id ~60):
	 * histograms call none that no filter or label needs */
	if (cfg.mode != MODE_HISTOGRAM || cfg.tgid || cfg.filter_uid) {
		pid_tgid = bpf_get_current_pid_tgid();
		uid = (__u32)bpf_get_current_uid_gid();
		id.pid = pid_tgid >> 32;
		id.tid = (__u32)pid_tgid;
		id.uid = uid;
	}
	if (!traced_task(id.pid, id.uid))
		return;
	BENCH_STEP(2);
	id.start_ns = bpf_ktime_get_ns();
	if (cfg.mode != MODE_HISTOGRAM || (cfg.hist_by & BY_CGROUP)) {
		id.cgroup_id = bpf_get_current_cgroup_id();
		if (cfg.cgroup_names)
			name_cgroup(id.cgroup_id);
	}
	id.dport = dport;
	if (cfg.mode == MODE_HISTOGRAM && (cfg.hist_by & BY_DADDR) && cfg.daddr_groups)
		id.daddr_group = daddr_group(sk, family);
	if (cfg.mode == MODE_HISTOGRAM && (cfg.hist_by & BY_PEER))
		if (!(id.peer = peer_of(sk, family)))
			count_up(COUNT_PEER_UNNAMED);
	if (cfg.mode != MODE_HISTOGRAM || (cfg.hist_by & BY_COMM))
		bpf_get_current_comm(id.comm, sizeof(id.comm));
	key = identity_key(sk);
	if (bpf_map_update_elem(&identities, &key, &id, BPF_ANY)) {
		count_up(LOST_STORAGE);
		return;
	}
	BENCH_STEP(3);
	if (cfg.hist_attempts)
		count_hist_attempt(sk, &id, family);
}

/*
 * SYNs retransmitted before the answer or the failure: total_retrans of the tcp_sock (a SYN
 * lost and retransmitted after the 1 s timeout is what makes a 1 s connect).
 */
static __always_inline __u16 syn_retransmits(const struct sock *sk)
{
	struct tcp_sock *tp = bpf_skc_to_tcp_sock((void *)sk);

	return tp ? (__u16)tp->total_retrans : 0;
}

/* How a connect ended: the one place that maps the socket's error to a result. */
static __always_inline __u16 result_of(int newstate, int err)
{
	if (newstate == TCP_ESTABLISHED)
		return RESULT_OK;
	switch (err) {
	case 0:
		return RESULT_ABORTED;
	case ECONNREFUSED:
		return RESULT_REFUSED;
	case ETIMEDOUT:
		return RESULT_TIMEDOUT;
	case EHOSTUNREACH:
	case ENETUNREACH:
		return RESULT_UNREACH;
	default:
		return RESULT_ERROR;
	}
}

/* ==== Events: a ring buffer record per connect (tcpconnlat, tcpconnect) ================= */

static __always_inline void submit(struct event *e)
{
	__u64 flags = 0;

	if (cfg.wakeup_bytes)
		flags = bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) < cfg.wakeup_bytes ?
				BPF_RB_NO_WAKEUP : BPF_RB_FORCE_WAKEUP;
	bpf_ringbuf_submit(e, flags);
}

static __always_inline void fill_identity(struct event *e, const struct identity *id)
{
	e->cgroup_id = id->cgroup_id;
	e->pid = id->pid;
	e->tid = id->tid;
	e->uid = id->uid;
	e->dport = id->dport;
	__builtin_memcpy(e->comm, id->comm, sizeof(e->comm));
}

static __always_inline void report_answer(const struct sock *sk, __u16 family, const struct identity *id,
					  __u64 now, __u64 latency, int err, __u16 result, __u16 retrans)
{
	struct event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);

	if (!e) {
		count_up(LOST_EVENTS);
		return;
	}
	e->kind = result == RESULT_OK || result == RESULT_REFUSED ? EVENT_ANSWERED : EVENT_FAILED;
	e->err = err;
	e->ts_ns = now;
	e->latency_ns = latency;
	fill_identity(e, id);
	read_daddr(sk, family, e->daddr);
	read_saddr(sk, family, e->daddr, e->saddr);
	e->family = family;
	/* unlike skc_num, inet_sport survives the unhashing of SYN_SENT -> CLOSE; it lies past
	 * struct sock, where a direct read is refused, so it is probe-read */
	e->lport = bpf_ntohs(BPF_CORE_READ((const struct inet_sock *)sk, inet_sport));
	e->result = result;
	e->retrans = retrans;
	e->pad = 0;
	submit(e);
}

/* ==== Histograms: latencies aggregated per key (tcpconnlat -H, the exporter) ============ */

/* tcpconnlat -H and the exporter: one latency histogram per key, allocated as keys appear. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 10240);
	__type(key, struct hist_key);
	__type(value, struct hist);
} hists SEC(".maps");

/* A zeroed struct hist to insert from (it does not fit on the BPF stack); never written. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct hist);
} hist_zero SEC(".maps");

/* The bucket of a latency: the first whose bound is not below it (a binary search, unrolled). */
static __always_inline __u32 hist_bucket(__u64 latency_ns)
{
	__u32 lo = 0, hi = HIST_BOUNDS, mid;

#pragma unroll
	for (int step = 0; step < 7; step++) { /* 2^7 > HIST_BOUNDS */
		mid = (lo + hi) / 2;
		/* clang knows mid < HIST_BOUNDS and would drop the check the verifier needs: hide it */
		asm volatile("" : "+r"(mid));
		if (lo < hi && mid < HIST_BOUNDS) {
			if (latency_ns <= cfg.hist_bounds[mid])
				hi = mid;
			else
				lo = mid + 1;
		}
	}
	return lo;
}

/* --cidrs: destination prefixes -> group ids (1, 2, ...), longest match first. */
struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 4096);
	__type(key, struct cidr_key);
	__type(value, __u32);
} cidrs SEC(".maps");

/* The destination as 16 bytes, IPv4 ones v4-mapped: the key of the cidrs and peers maps. */
static __always_inline void daddr_mapped(const struct sock *sk, __u16 family, __u8 *addr)
{
	if (family == AF_INET) {
		__u32 *a = (__u32 *)addr;

		a[2] = bpf_htonl(0xffff);
		a[3] = sk->__sk_common.skc_daddr;
	} else {
		read_daddr(sk, family, addr);
	}
}

/* The group of a destination (0: no prefix matches). */
static __always_inline __u32 daddr_group(const struct sock *sk, __u16 family)
{
	struct cidr_key k = {}; /* (an initializer with a value would put a copy in .rodata, cfg's only place) */
	__u32 *group;

	k.prefixlen = 128;
	daddr_mapped(sk, family, k.addr);
	group = bpf_map_lookup_elem(&cidrs, &k);
	return group ? *group : 0;
}

/*
 * BY_PEER: destination addresses -> name ids, written by user space from the DNS answers it
 * reads (the -d capture), with 127.0.0.1 and ::1 as localhost, and taken out by the DNS program
 * when a new answer names them (forget_answered); an LRU, so addresses no longer connected to
 * make room. One entry when the label is not asked for (user space sets it).
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, struct peer_key);
	__type(value, __u32);
} peers SEC(".maps");

/* The name id of a destination, 0 when user space has not named its address (yet). */
static __always_inline __u32 peer_of(const struct sock *sk, __u16 family)
{
	struct peer_key k = {};
	__u32 *peer;

	daddr_mapped(sk, family, k.addr);
	peer = bpf_map_lookup_elem(&peers, &k);
	return peer ? *peer : 0;
}

/* The labels of a histogram key that cfg.hist_by selects; the caller sets the result. */
static __always_inline void fill_hist_key(struct hist_key *key, const struct sock *sk, const struct identity *id,
					  __u16 family)
{
	if (cfg.hist_by & BY_CGROUP)
		key->cgroup_id = id->cgroup_id;
	if (cfg.hist_by & BY_COMM)
		__builtin_memcpy(key->comm, id->comm, sizeof(key->comm));
	if ((cfg.hist_by & BY_DADDR) && cfg.daddr_groups)
		key->daddr_group = id->daddr_group;
	else if (cfg.hist_by & BY_DADDR)
		read_daddr(sk, family, key->daddr);
	if (cfg.hist_by & (BY_FAMILY | BY_DADDR))
		key->family = family;
	if (cfg.hist_by & BY_DPORT)
		key->dport = id->dport;
	if (cfg.hist_by & BY_PEER) {
		key->peer = id->peer;
		if (!id->peer) { /* keyed by the address until user space names it (and folds this key) */
			read_daddr(sk, family, key->daddr);
			key->family = family;
		}
	}
}

/*
 * Raises *max to value unless it is already as high: a compare-and-exchange loop, bounded.
 * Without cmpxchg (KERNEL_VARIANT, before 5.12) a plain store: two connects of one key
 * answered at the same instant on two CPUs may keep the lower of their latencies.
 */
static __always_inline void raise_max(__u64 *max, __u64 value, bool cmpxchg)
{
	if (!cmpxchg) {
		if (value > *max)
			*max = value;
		return;
	}
	for (int i = 0; i < 8; i++) {
		__u64 old = *max;

		if (value <= old || __sync_val_compare_and_swap(max, old, value) == old)
			return;
	}
}

static __always_inline void aggregate(const struct sock *sk, __u16 family, const struct identity *id,
				      __u16 result, __u64 latency, __u16 retrans, bool cmpxchg)
{
	struct hist_key key = {};
	struct hist *h;
	__u64 bucket;
	__u32 zero = 0;

	fill_hist_key(&key, sk, id, family);
	key.result = result;
	if (cfg.hist_by & BY_RETRANS)
		key.retrans = retrans > 3 ? 3 : retrans;
	h = bpf_map_lookup_elem(&hists, &key);
	if (!h) {
		struct hist *empty = bpf_map_lookup_elem(&hist_zero, &zero);

		/* EEXIST: another CPU added it first, and the lookup below finds it. */
		if (empty)
			bpf_map_update_elem(&hists, &key, empty, BPF_NOEXIST);
		h = bpf_map_lookup_elem(&hists, &key);
		if (!h) {
			count_up(LOST_HIST);
			return;
		}
	}
	bucket = hist_bucket(latency);
	/* clang knows bucket < HIST_BUCKETS and would drop the check the verifier needs: hide it */
	asm volatile("" : "+r"(bucket));
	if (bucket < HIST_BUCKETS)
		__sync_fetch_and_add(&h->buckets[bucket], 1);
	__sync_fetch_and_add(&h->sum_ns, latency);
	__sync_fetch_and_add(&h->count, 1);
	if (retrans)
		__sync_fetch_and_add(&h->retrans, retrans);
	raise_max(&h->max_ns, latency, cmpxchg);
}

static __always_inline void on_syn_answered(const struct sock *sk, int newstate, bool cmpxchg)
{
	__u64 key, now, latency;
	struct identity *id;
	__u16 family, result;
	int err = 0;

	BENCH_STEP(3); /* steps 1-3 are the connect's start */
	key = identity_key(sk);
	if (cfg.mode == MODE_ATTEMPTS || cfg.mode == MODE_COUNT) {
		/* sockops reported it, and forgot it; unless the connect failed before the SYN left */
		bpf_map_delete_elem(&identities, &key);
		return;
	}
	id = bpf_map_lookup_elem(&identities, &key);
	if (!id)
		return;
	now = bpf_ktime_get_ns();
	latency = now - id->start_ns;
	/*
	 * An ICMP error that came while connect() held the socket (a non-blocking connect) is
	 * kept in sk_err_soft, with no state change; getsockopt(SO_ERROR) returns and clears it
	 * (handle_so_error noted it), and the close that follows has neither.
	 */
	if (newstate == TCP_CLOSE)
		err = sk->sk_err ?: sk->sk_err_soft ?: id->so_error;
	result = result_of(newstate, err);
	if ((result == RESULT_OK || result == RESULT_REFUSED || cfg.report_failures) && latency >= cfg.min_latency_ns) {
		__u16 retrans = 0;

		family = sk->__sk_common.skc_family;
		BENCH_STEP(4);
		/* -H shows no retransmits unless by them; the exporter counts them */
		if (cfg.mode != MODE_HISTOGRAM || (cfg.hist_by & BY_RETRANS) || cfg.hist_attempts)
			retrans = syn_retransmits(sk);
		if (cfg.mode == MODE_HISTOGRAM)
			aggregate(sk, family, id, result, latency, retrans, cmpxchg);
		else
			report_answer(sk, family, id, now, latency, err, result, retrans);
	}
	/* last: a deleted entry may be reused by another connect at once */
	bpf_map_delete_elem(&identities, &key);
}

static __always_inline void set_state(const struct sock *sk, int oldstate, int newstate, bool cmpxchg)
{
	/* The state checks first: most runs are transitions nobody asked for. */
	if (oldstate == TCP_CLOSE) {
		if (newstate == TCP_SYN_SENT)
			on_syn_sent(sk);
	} else if (oldstate == TCP_SYN_SENT && (newstate == TCP_ESTABLISHED || newstate == TCP_CLOSE)) {
		/* tcpconnect reports the attempt from sockops, and the answer is not its business */
		if (cfg.mode == MODE_LATENCY || cfg.mode == MODE_HISTOGRAM)
			on_syn_answered(sk, newstate, cmpxchg);
	}
}

/*
 * KERNEL_VARIANT: the one place where kernels differ. Each pair is the same code but for what
 * an older kernel's verifier refuses; user space (trace/KernelVariant) probes the running
 * kernel and loads one of each pair.
 *   handle_set_state        keeps a histogram's max with cmpxchg (BPF_ATOMIC, Linux 5.12)
 *   handle_set_state_nocas  the same with a plain store: verifiers before 5.12 refuse a program
 *                           that holds cmpxchg at all, reachable or not
 */
SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(handle_set_state, const struct sock *sk, const int oldstate, const int newstate)
{
#if defined(BENCH_STOP_AFTER) && BENCH_STOP_AFTER == 0
	return 0;
#endif
	set_state(sk, oldstate, newstate, true);
	return 0;
}

SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(handle_set_state_nocas, const struct sock *sk, const int oldstate, const int newstate)
{
	set_state(sk, oldstate, newstate, false);
	return 0;
}

#define SOL_SOCKET 1
#define SO_ERROR 4

/* The least page size: a cgroup/getsockopt program sees at most a page of the value. */
#define SOCKOPT_PAGE 4096

/*
 * getsockopt(SO_ERROR) of a connect in flight (cgroup v2 root; loaded where the failures are
 * reported and CAP_NET_ADMIN allows it): the error it returned, which it also cleared, for
 * on_syn_answered. Every other getsockopt only passes through.
 */
SEC("cgroup/getsockopt")
int handle_so_error(struct bpf_sockopt *ctx)
{
	struct identity *id;
	int *value = ctx->optval;
	__u64 key;
	int len = ctx->optlen; /* read once: the checks below bound this register */

	/*
	 * A value longer than the buffer this program sees: longer than a page (iptables reads its
	 * rule tables so), or longer than the caller's buffer (a caller asking for the length only,
	 * with no buffer: netlink's NETLINK_LIST_MEMBERSHIPS). Before Linux 6.5 and 6.7 the caller
	 * got EFAULT unless the program set optlen to 0, "keep what the kernel answered"
	 * (Documentation/bpf/prog_cgroup_sockopt.rst).
	 */
	if (len > SOCKOPT_PAGE || len < 0 || (void *)value + len > ctx->optval_end) {
		ctx->optlen = 0;
		return 1;
	}
	if (ctx->level != SOL_SOCKET || ctx->optname != SO_ERROR || ctx->retval || !ctx->sk)
		return 1;
	if ((void *)(value + 1) > ctx->optval_end || *value <= 0)
		return 1;
	key = identity_key(ctx->sk);
	id = bpf_map_lookup_elem(&identities, &key);
	if (id)
		id->so_error = *value;
	return 1;
}

/* ==== Attempts and counts (the exporter's attempts; tcpconnect, tcpconnect -c) ========== */

/* The exporter: connect attempts per histogram key (result RESULT_OK), counted at SYN_SENT. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 10240);
	__type(key, struct hist_key);
	__type(value, __u64);
} attempts SEC(".maps");

/* tcpconnect -c: attempts per source, destination and port. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, struct count_key);
	__type(value, __u64);
} counts SEC(".maps");

/* Adds one to the u64 under key in a hash map of counters; false if the map is full. */
static __always_inline bool increment(void *map, const void *key)
{
	__u64 one = 1, *n = bpf_map_lookup_elem(map, key);

	if (n) {
		__sync_fetch_and_add(n, 1);
		return true;
	}
	/* EEXIST: another CPU added it first. */
	if (!bpf_map_update_elem(map, key, &one, BPF_NOEXIST))
		return true;
	n = bpf_map_lookup_elem(map, key);
	if (!n)
		return false;
	__sync_fetch_and_add(n, 1);
	return true;
}

/* The exporter: an attempt, counted under the labels its answer will have (result RESULT_OK). */
static __always_inline void count_hist_attempt(const struct sock *sk, const struct identity *id, __u16 family)
{
	struct hist_key key = {};

	fill_hist_key(&key, sk, id, family);
	if (!increment(&attempts, &key))
		count_up(LOST_ATTEMPTS);
}

static __always_inline void count_attempt(const struct event *e)
{
	struct count_key key = {};

	__builtin_memcpy(key.saddr, e->saddr, sizeof(key.saddr));
	__builtin_memcpy(key.daddr, e->daddr, sizeof(key.daddr));
	key.family = e->family;
	key.dport = e->dport;
	if (cfg.count_by_lport)
		key.lport = e->lport;
	if (!increment(&counts, &key))
		count_up(LOST_COUNTS);
}

/* tcpconnect: the port is chosen and the SYN is about to leave, still in the caller's context. */
SEC("sockops")
int handle_sockops(struct bpf_sock_ops *ctx)
{
	struct identity *id;
	struct event *e, scratch;
	__u64 key;

	if (ctx->op != BPF_SOCK_OPS_TCP_CONNECT_CB || !ctx->sk)
		return 1;
	key = identity_key(ctx->sk);
	id = bpf_map_lookup_elem(&identities, &key);
	if (!id)
		return 1;

	if (cfg.mode == MODE_COUNT) {
		e = &scratch;
	} else {
		e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
		if (!e) {
			count_up(LOST_EVENTS);
			goto done;
		}
	}
	__builtin_memset(e, 0, sizeof(*e));
	e->ts_ns = bpf_ktime_get_ns();
	fill_identity(e, id);
	e->family = ctx->family;
	if (ctx->family == AF_INET) {
		*(__u32 *)e->saddr = ctx->local_ip4;
		*(__u32 *)e->daddr = ctx->remote_ip4;
	} else {
		__u32 *s = (__u32 *)e->saddr, *d = (__u32 *)e->daddr;

		d[0] = ctx->remote_ip6[0];
		d[1] = ctx->remote_ip6[1];
		d[2] = ctx->remote_ip6[2];
		d[3] = ctx->remote_ip6[3];
		if (v4_mapped(e->daddr)) {
			s[2] = bpf_htonl(0xffff);
			s[3] = ctx->local_ip4;
		} else {
			s[0] = ctx->local_ip6[0];
			s[1] = ctx->local_ip6[1];
			s[2] = ctx->local_ip6[2];
			s[3] = ctx->local_ip6[3];
		}
	}
	e->lport = ctx->local_port;
	e->kind = EVENT_ATTEMPT;
	e->result = RESULT_PENDING;
	if (cfg.mode == MODE_COUNT)
		count_attempt(e);
	else
		submit(e);
done:
	bpf_map_delete_elem(&identities, &key);
	return 1;
}

/* ==== DNS: responses copied for user space (-d, the peer label) ========================= */

#define ETH_P_IP 0x0800
#define ETH_P_IPV6 0x86DD
#define IPPROTO_UDP 17
#define DNS_PORT 53

/* A name that cannot be walked (see skip_name). */
#define DNS_BAD_NAME 0xffffffffu

/*
 * The offset past the DNS name at off (from the start of the DNS message at base in the
 * packet): labels, ended by a zero or a compression pointer. A global function: the verifier
 * checks it once, not at every call in the walk below (it could not prune those paths).
 */
__attribute__((noinline)) __u32 skip_name(struct __sk_buff *skb, __u32 base, __u32 len, __u32 off)
{
	for (int i = 0; i < 64; i++) {
		__u8 b;

		if (off >= len || bpf_skb_load_bytes(skb, base + off, &b, 1))
			return DNS_BAD_NAME;
		if (b == 0)
			return off + 1;
		if ((b & 0xc0) == 0xc0)
			return off + 2;
		off += b + 1;
	}
	return DNS_BAD_NAME;
}

/*
 * BY_PEER: the A and AAAA addresses of a response (its first 16 answers) are taken out of the
 * peers map as it goes by, before the process that asked can read it: until user space has
 * read the answer and written the name, connects to them are keyed by the address (and named
 * then), never by the name an older answer gave the address. The walk stops at a response that
 * is not one question and its answers (user space skips those too).
 */
__attribute__((noinline)) int forget_answered(struct __sk_buff *skb, __u32 base, __u32 len)
{
	struct peer_key k = {};
	__u8 h[12];
	__u32 off, answers;

	if (len < 12 || bpf_skb_load_bytes(skb, base, h, 12) || !(h[2] & 0x80) || h[4] != 0 || h[5] != 1)
		return 0;
	answers = (__u32)h[6] << 8 | h[7];
	off = skip_name(skb, base, len, 12);
	if (off == DNS_BAD_NAME)
		return 0;
	off += 4; /* QTYPE, QCLASS */
	for (int a = 0; a < 16 && a < answers; a++) {
		__u16 type, rdlen;

		off = skip_name(skb, base, len, off);
		if (off == DNS_BAD_NAME || off + 10 > len || bpf_skb_load_bytes(skb, base + off, h, 10))
			return 0;
		type = (__u16)h[0] << 8 | h[1];
		rdlen = (__u16)h[8] << 8 | h[9];
		off += 10;
		if (type == 1 && rdlen == 4) { /* A: kept v4-mapped */
			__builtin_memset(k.addr, 0, 10);
			k.addr[10] = 0xff;
			k.addr[11] = 0xff;
			if (bpf_skb_load_bytes(skb, base + off, &k.addr[12], 4))
				return 0;
			bpf_map_delete_elem(&peers, &k);
		} else if (type == 28 && rdlen == 16) { /* AAAA */
			if (bpf_skb_load_bytes(skb, base + off, k.addr, 16))
				return 0;
			bpf_map_delete_elem(&peers, &k);
		}
		off += rdlen;
	}
	return 0;
}

/*
 * Every UDP datagram from port 53 that reaches a socket (cgroup v2 root, so all of them):
 * copy the start of its payload for user space to parse. Always lets the packet through.
 * The data starts at the IP header.
 */
SEC("cgroup_skb/ingress")
int handle_dns_ingress(struct __sk_buff *skb)
{
	struct dns_event *e;
	__u32 l4;
	__u64 len, wire_len;
	__u16 sport;
	__u8 proto;

	if (skb->protocol == bpf_htons(ETH_P_IP)) {
		__u8 vihl;
		__u16 frag;

		if (bpf_skb_load_bytes(skb, 0, &vihl, 1) || bpf_skb_load_bytes(skb, 9, &proto, 1) ||
		    bpf_skb_load_bytes(skb, 6, &frag, 2))
			return 1;
		if (bpf_ntohs(frag) & 0x1fff) /* a later fragment has no UDP header */
			return 1;
		l4 = (vihl & 0xf) * 4;
	} else if (skb->protocol == bpf_htons(ETH_P_IPV6)) {
		if (bpf_skb_load_bytes(skb, 6, &proto, 1))
			return 1;
		l4 = 40; /* extension headers before UDP are not followed */
	} else {
		return 1;
	}
	if (proto != IPPROTO_UDP || bpf_skb_load_bytes(skb, l4, &sport, 2) || sport != bpf_htons(DNS_PORT))
		return 1;
	if (skb->len <= l4 + 8)
		return 1;
	wire_len = skb->len - (l4 + 8);
	len = wire_len > DNS_MAX_PAYLOAD ? DNS_MAX_PAYLOAD : wire_len;
	/*
	 * Tell the verifier that 1 <= len <= DNS_MAX_PAYLOAD in the register the call gets, by
	 * arithmetic, not a branch: verifiers before 6.2 lost a branch's lower bound on the copy
	 * (6.1 and 5.10 refused a length "that may be 0"). The asm hides the mask from clang,
	 * which knows it changes nothing here.
	 */
	len -= 1;
	asm volatile("%[len] &= %[mask]" : [len] "+r"(len) : [mask] "i"(DNS_MAX_PAYLOAD - 1));
	len += 1;

	if (cfg.mode == MODE_HISTOGRAM && (cfg.hist_by & BY_PEER))
		forget_answered(skb, l4 + 8, wire_len);
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		count_up(LOST_DNS);
		return 1;
	}
	e->kind = DNS_RESPONSE;
	e->ts_ns = bpf_ktime_get_ns();
	if (bpf_skb_load_bytes(skb, l4 + 8, e->payload, len)) {
		bpf_ringbuf_discard(e, 0);
		return 1;
	}
	e->len = len;
	e->wire_len = wire_len;
	bpf_ringbuf_submit(e, 0);
	return 1;
}

/* ==== Cgroups removed (cfg.cgroup_names) ============================================== */

/* A named cgroup v2 cgroup was removed: user space may forget it (the exporter moves its counts out of the maps). */
SEC("tp_btf/cgroup_rmdir")
int BPF_PROG(handle_cgroup_rmdir, struct cgroup *cgrp, const char *path)
{
	struct cgroup_event *e;
	__u64 id;

	if (BPF_CORE_READ(cgrp, root, hierarchy_id) != 0) /* a cgroup v1 hierarchy */
		return 0;
	id = BPF_CORE_READ(cgrp, kn, id);
	if (bpf_map_delete_elem(&cgroups_named, &id)) /* never named: nothing of it to forget */
		return 0;
	e = bpf_ringbuf_reserve(&events, __builtin_offsetof(struct cgroup_event, names), 0);
	if (!e) {
		count_up(LOST_CGROUPS);
		return 0;
	}
	e->kind = CGROUP_GONE;
	e->depth = 0;
	e->truncated = 0;
	e->cgroup_id = id;
	bpf_ringbuf_submit(e, 0);
	return 0;
}

/*
 * Never used: no map or program names struct event, dns_event or cgroup_event, so these put
 * them into the object's BTF, where LayoutContractTest compares them with the Java layouts (the
 * cilium/ebpf idiom; the three pointers cost a 24-byte .bss map). struct hist_key, config,
 * count_key and hist are there already, through the maps and cfg.
 */
struct event *unused_event __attribute__((unused));
struct dns_event *unused_dns_event __attribute__((unused));
struct cgroup_event *unused_cgroup_event __attribute__((unused));

char LICENSE[] SEC("license") = "GPL";
