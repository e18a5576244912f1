/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The few kernel types tcpconn.bpf.c reads, written by hand instead of a
 * machine-specific vmlinux.h. preserve_access_index makes every field access a
 * CO-RE relocation, so libbpf fixes the offsets against the running kernel's BTF;
 * only the fields named here need to exist, in any order.
 */
#ifndef TCPCONN_KERNEL_TYPES_H
#define TCPCONN_KERNEL_TYPES_H

#pragma clang attribute push (__attribute__((preserve_access_index)), apply_to = record)

struct in6_addr {
	union {
		__u8 u6_addr8[16];
		__u32 u6_addr32[4];
	} in6_u;
};

struct sock_common {
	__be32 skc_daddr;
	__be32 skc_rcv_saddr;
	__be16 skc_dport;
	__u16 skc_num;
	unsigned short skc_family;
	struct in6_addr skc_v6_daddr;
	struct in6_addr skc_v6_rcv_saddr;
};

struct sock {
	struct sock_common __sk_common;
	__u16 sk_protocol;
	int sk_err;
	int sk_err_soft;   /* an ICMP error that came while the socket was locked (a connect in flight) */
};

/* Starts with struct sock. Unlike skc_num, inet_sport survives the unhashing that
 * comes with SYN_SENT -> CLOSE, so the source port of a failed connect is still there. */
struct inet_sock {
	__be16 inet_sport;
};

/* Starts with struct sock too; reached through bpf_skc_to_tcp_sock(). */
struct tcp_sock {
	__u32 total_retrans;   /* segments retransmitted: before the answer, SYNs */
};

struct ns_common {
	unsigned int inum;
};

struct mnt_namespace {
	struct ns_common ns;
};

struct nsproxy {
	struct mnt_namespace *mnt_ns;
};

/* Linux 6.15 renamed parent to __parent (kernfs_node___old has the old name). */
struct kernfs_node {
	struct kernfs_node *__parent;
	const char *name;
	__u64 id;   /* the cgroup id, for a cgroup's node */
};

struct kernfs_node___old {
	struct kernfs_node *parent;
};

struct cgroup_root {
	int hierarchy_id;   /* 0: the cgroup v2 hierarchy */
};

struct cgroup {
	struct kernfs_node *kn;
	struct cgroup_root *root;
};

struct css_set {
	struct cgroup *dfl_cgrp;
};

struct task_struct {
	struct nsproxy *nsproxy;
	struct css_set *cgroups;
};

#pragma clang attribute pop

#endif
