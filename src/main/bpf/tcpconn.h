/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared between tcpconn.bpf.c and the Java decoder (dev.tcpconnlat.event.EventLayout
 * quotes this struct): change both together.
 */
#ifndef TCPCONN_H
#define TCPCONN_H

#define TASK_COMM_LEN 16

/* What a ring buffer record is; every record starts with its kind. */
enum record_kind {
	EVENT_ANSWERED = 1, /* SYN_SENT -> ESTABLISHED, or -> CLOSE on a RST (err = ECONNREFUSED) */
	EVENT_FAILED = 2,   /* SYN_SENT -> CLOSE without an answer (timeout, unreachable, aborted) */
	EVENT_ATTEMPT = 3,  /* the SYN is about to leave: tcpconnect's line */
	DNS_RESPONSE = 4,   /* struct dns_event: a UDP datagram from port 53 (-d) */
	CGROUP_NAMES = 5,   /* struct cgroup_event: the names on a cgroup's path, the first time it connects */
	CGROUP_GONE = 6,    /* struct cgroup_event without names: a named cgroup was removed */
};

struct event {
	__u32 kind;        /* enum record_kind */
	__s32 err;         /* 0, or the socket's positive errno */
	__u64 ts_ns;       /* bpf_ktime_get_ns() when it happened */
	__u64 latency_ns;  /* SYN_SENT until the answer; 0 for an attempt */
	__u64 cgroup_id;   /* cgroup v2 id of the connecting task */
	__u8 saddr[16];    /* IPv4 uses the first 4 bytes, network order */
	__u8 daddr[16];
	__u32 pid;         /* tgid of the task that called connect() */
	__u32 tid;
	__u32 uid;
	__u16 family;      /* AF_INET or AF_INET6 */
	__u16 lport;       /* host order */
	__u16 dport;       /* host order */
	__u16 result;      /* enum result: how it ended, decided here once (RESULT_PENDING for an attempt) */
	char comm[TASK_COMM_LEN];
	__u16 retrans;     /* SYNs retransmitted before the answer or the failure */
	__u16 pad;
};

/* A DNS response's UDP payload, for user space to parse: up to EDNS's common 4,096 bytes. */
#define DNS_MAX_PAYLOAD 4096
struct dns_event {
	__u32 kind;        /* DNS_RESPONSE */
	__u16 len;         /* payload bytes copied */
	__u16 wire_len;    /* the datagram's payload bytes: more than len when it was cut short */
	__u64 ts_ns;       /* when the datagram arrived */
	__u8 payload[DNS_MAX_PAYLOAD];
};

/*
 * A cgroup's path, copied from kernfs the first time a task in it connects, so that user space
 * can name it even when the cgroup is removed a moment later: names[0] is the cgroup's own
 * name, names[depth - 1] the top directory under the root. A record holds only its depth names;
 * CGROUP_GONE records stop at names.
 */
#define CGROUP_NAME_LEN 128
#define CGROUP_MAX_DEPTH 12
struct cgroup_event {
	__u32 kind;        /* CGROUP_NAMES or CGROUP_GONE */
	__u16 depth;       /* names filled; 0 for the root cgroup */
	__u16 truncated;   /* deeper than CGROUP_MAX_DEPTH, or a name cut short: user space looks it up */
	__u64 cgroup_id;
	char names[CGROUP_MAX_DEPTH][CGROUP_NAME_LEN];
};

/* What the kernel side does with a connect (Java: TraceConfig.Mode, in this order). */
enum mode {
	MODE_LATENCY,    /* tcpconnlat: an event per answered (or, with -e, failed) connect */
	MODE_ATTEMPTS,   /* tcpconnect: an event per attempt, as the SYN leaves (sockops) */
	MODE_COUNT,      /* tcpconnect -c: attempts counted in the counts map, no events */
	MODE_HISTOGRAM,  /* tcpconnlat -H, the exporter: latencies aggregated in hists, no events */
};

/*
 * Latency histograms (tcpconnlat -H, the exporter): bucket j holds latencies in
 * (hist_bounds[j - 1], hist_bounds[j]] ns (bucket 0 everything up to hist_bounds[0], bucket
 * HIST_BOUNDS everything longer). User space chooses the bounds at load time: Prometheus native
 * histogram schema 2 in seconds for the exporter, powers of two of microseconds (or
 * milliseconds) split in four for -H, so that each of its rows is a whole number of buckets.
 */
#define HIST_BOUNDS 121
#define HIST_BUCKETS (HIST_BOUNDS + 1)

/*
 * Filters and modes, written by user space into .rodata before load (it is the only
 * variable there), so the verifier prunes whatever is switched off.
 */
struct config {
	__u64 min_latency_ns;   /* tcpconnlat: hide faster answers */
	__u64 wakeup_bytes;     /* below this many unread bytes, do not wake the consumer */
	__u32 tgid;             /* 0: any process */
	__u32 uid;              /* used when filter_uid */
	__u16 family;           /* AF_INET, AF_INET6, or 0 for both */
	__u8 mode;              /* enum mode */
	__u8 filter_uid;
	__u8 report_failures;   /* also connects nobody answered (tcpconnlat -e, the exporter) */
	__u8 filter_dports;     /* only destination ports in the dports map */
	__u8 filter_cgroups;    /* only cgroups in cgroup_map */
	__u8 filter_mntns;      /* only mount namespaces in mount_ns_set */
	__u8 count_by_lport;    /* tcpconnect -c -s: the source port is part of the key */
	__u8 hist_by;           /* enum hist_by bits: the labels of a histogram's key */
	__u8 hist_attempts;     /* the exporter: count attempts per histogram key too */
	__u8 cgroup_names;      /* send each cgroup's names (CGROUP_NAMES) and removal (CGROUP_GONE) */
	__u8 daddr_groups;      /* BY_DADDR keys by the group of the cidrs map, not the address */
	__u8 pad[3];
	__u64 hist_bounds[HIST_BOUNDS]; /* the buckets' upper bounds, ns, increasing */
};

/* Key of tcpconnect -c's in-kernel count map. */
struct count_key {
	__u8 saddr[16];
	__u8 daddr[16];
	__u16 family;
	__u16 lport;       /* 0 unless counting by source port */
	__u16 dport;
	__u16 pad;
};

/* Which labels are part of a histogram's key; the result always is. */
enum hist_by {
	BY_CGROUP = 1,
	BY_COMM = 2,
	BY_DADDR = 4,   /* implies the family */
	BY_DPORT = 8,
	BY_FAMILY = 16,
	BY_RETRANS = 32,   /* SYNs retransmitted: 0, 1, 2, 3 (3 or more) */
	BY_PEER = 64,      /* the DNS name of the destination (the peers map) */
};

/* How a connect ended, in an event and a histogram's key (Java: event.Result, in this order). */
enum result {
	RESULT_OK,
	RESULT_REFUSED,
	RESULT_TIMEDOUT,
	RESULT_UNREACH,
	RESULT_ABORTED,
	RESULT_ERROR,
	RESULT_PENDING,   /* an attempt: no answer yet */
};

struct hist_key {
	__u64 cgroup_id;   /* 0 unless BY_CGROUP */
	__u8 daddr[16];    /* zero unless BY_DADDR */
	char comm[TASK_COMM_LEN]; /* empty unless BY_COMM */
	__u16 family;      /* 0 unless BY_FAMILY or BY_DADDR */
	__u16 dport;       /* 0 unless BY_DPORT */
	__u16 result;      /* enum result (RESULT_OK in the attempts map) */
	__u8 retrans;      /* 0 unless BY_RETRANS: SYNs retransmitted, 3 for 3 or more */
	__u8 pad;
	__u32 daddr_group; /* with cfg.daddr_groups: the group of the longest matching prefix (daddr zero), 0: none */
	__u32 peer;        /* BY_PEER: the destination's name id in the peers map; 0: not there yet, and then
			    * daddr and family are set, for user space to name it */
};

/* Key of the peers map (BY_PEER): a destination address, IPv4 ones v4-mapped. */
struct peer_key {
	__u8 addr[16];
};

/* Key of the cidrs LPM trie (--cidrs): IPv4 prefixes as v4-mapped IPv6 ones (::ffff:0:0/96 + the prefix). */
struct cidr_key {
	__u32 prefixlen;
	__u8 addr[16];
};

/*
 * Counts only grow; user space takes deltas between reads, so no connect is lost or counted
 * twice. max_ns is the longest latency since the histogram was created.
 */
struct hist {
	__u64 count;
	__u64 sum_ns;
	__u64 max_ns;
	__u64 retrans;     /* SYNs retransmitted, in all */
	__u64 buckets[HIST_BUCKETS];
};

/* Indexes of the counters map: every place where the kernel side gives up, for user space to report. */
enum loss {
	LOST_EVENTS,    /* a connect not reported: the ring buffer was full */
	LOST_COUNTS,    /* tcpconnect -c: a connect not counted, the count map was full */
	LOST_STORAGE,   /* a connect not traced: too many connects in flight (the identities map was full) */
	LOST_DNS,       /* -d: a DNS response not copied, the ring buffer was full */
	LOST_HIST,      /* -H: a connect not in a histogram, the histogram map was full */
	LOST_ATTEMPTS,  /* the exporter: an attempt not counted, the attempts map was full */
	LOST_CGROUPS,   /* a cgroup's names or removal not sent, the ring buffer was full */
	NR_LOSSES,
};

/* More of the counters map, past the losses: what user space acts on. */
enum counter {
	COUNT_PEER_UNNAMED = NR_LOSSES, /* BY_PEER: keys made with a destination not in the peers map */
	NR_COUNTERS,
};

#endif
