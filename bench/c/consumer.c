// SPDX-License-Identifier: GPL-2.0
/*
 * The C baseline for bench/run: a minimal libbpf consumer of the same BPF object the Java
 * tool loads (target/classes/bpf/tcpconn.bpf.o), printing tcpconnlat's default lines.
 *
 *   consumer OBJECT [--per-event | --exporter]
 *
 * By default it uses the tool's wakeup policy (the kernel wakes user space once 64 KiB are
 * waiting; a 100 ms timed drain does the rest). --per-event leaves wakeup_bytes at 0, so the
 * kernel wakes the consumer for every event it is waiting for, as libbpf-tools' consumers are.
 * --exporter loads it as tcpconnlat-exporter does with its default labels (histograms and
 * attempts in the kernel, keyed by cgroup and family, failures too) and prints nothing: for
 * bench/kernel-parts, which prices the kernel side.
 */
#include <math.h>
#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <linux/types.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "tcpconn.h"

static volatile sig_atomic_t exiting;

static void on_signal(int sig)
{
	(void)sig;
	exiting = 1;
}

static int on_event(void *ctx, void *data, size_t size)
{
	const struct event *e = data;
	char saddr[INET6_ADDRSTRLEN], daddr[INET6_ADDRSTRLEN];

	(void)ctx;
	if (size < sizeof(*e) || e->kind == DNS_RESPONSE)
		return 0;
	inet_ntop(e->family, e->saddr, saddr, sizeof(saddr));
	inet_ntop(e->family, e->daddr, daddr, sizeof(daddr));
	printf("%-7d %-12.12s %-2d %-16s %-16s %-5d %.2f\n", e->pid, e->comm, e->family == AF_INET ? 4 : 6,
	       saddr, daddr, e->dport, (double)(e->latency_ns / 1000) / 1000);
	return 0;
}

static int fail(const char *what, int err)
{
	fprintf(stderr, "consumer: %s: %s\n", what, strerror(err < 0 ? -err : err));
	return 1;
}

int main(int argc, char **argv)
{
	struct bpf_object *obj;
	struct bpf_map *rodata;
	struct bpf_link *link;
	struct ring_buffer *rb;
	struct config *cfg;
	size_t size;
	int err, per_event = argc > 2 && strcmp(argv[2], "--per-event") == 0;
	int exporter = argc > 2 && strcmp(argv[2], "--exporter") == 0;
	__u32 key = 0;
	__u64 lost = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: consumer OBJECT [--per-event]\n");
		return 2;
	}
	obj = bpf_object__open_file(argv[1], NULL);
	if (!obj)
		return fail("open", errno);
	rodata = bpf_object__find_map_by_name(obj, ".rodata");
	/* const in libbpf 1.1, but writable until load (newer libbpf drops the const) */
	cfg = rodata ? (struct config *)bpf_map__initial_value(rodata, &size) : NULL;
	if (!cfg || size != sizeof(*cfg))
		return fail("struct config does not match .rodata", EINVAL);
	memset(cfg, 0, sizeof(*cfg));
	cfg->wakeup_bytes = per_event ? 0 : 64 * 1024;
	if (exporter) {
		cfg->mode = MODE_HISTOGRAM;
		cfg->report_failures = 1;
		cfg->hist_by = BY_CGROUP | BY_FAMILY;
		cfg->hist_attempts = 1;
		for (int i = 0; i < HIST_BOUNDS; i++) /* Prometheus schema 2, seconds, as Buckets.seconds() */
			cfg->hist_bounds[i] = (__u64)floor(1e9 * pow(2, (i - 80) / 4.0));
	}
	bpf_program__set_autoload(bpf_object__find_program_by_name(obj, "handle_sockops"), false);
	bpf_program__set_autoload(bpf_object__find_program_by_name(obj, "handle_dns_ingress"), false);
	err = bpf_object__load(obj);
	if (err)
		return fail("load", err);
	link = bpf_program__attach(bpf_object__find_program_by_name(obj, "handle_set_state"));
	if (!link)
		return fail("attach", errno);
	rb = ring_buffer__new(bpf_map__fd(bpf_object__find_map_by_name(obj, "events")), on_event, NULL, NULL);
	if (!rb)
		return fail("ring buffer", errno);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);

	printf("%-7s %-12s %-2s %-16s %-16s %-5s %s\n", "PID", "COMM", "IP", "SADDR", "DADDR", "DPORT", "LAT(ms)");
	fflush(stdout);
	while (!exiting) {
		err = ring_buffer__poll(rb, 100);
		if (err >= 0 && !per_event)
			err = ring_buffer__consume(rb);
		if (err < 0 && err != -EINTR)
			return fail("poll", err);
		fflush(stdout);
	}
	ring_buffer__consume(rb);
	fflush(stdout);
	bpf_map_lookup_elem(bpf_map__fd(bpf_object__find_map_by_name(obj, "counters")), &key, &lost);
	if (lost)
		fprintf(stderr, "consumer: %llu events lost: the ring buffer was full (%llu in all)\n",
			(unsigned long long)lost, (unsigned long long)lost);
	ring_buffer__free(rb);
	bpf_link__destroy(link);
	bpf_object__close(obj);
	return 0;
}
