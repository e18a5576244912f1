// SPDX-License-Identifier: GPL-2.0
/*
 * bench/churn's workload: N short-lived cgroups, as CronJob pods, CI containers and systemd
 * transient scopes make them. For each: mkdir MOUNT/PREFIX-I.scope (MOUNT: the cgroup v2 mount),
 * move this process in, connect once to 127.0.0.1:PORT, move back, rmdir; the cgroup lives
 * well under a millisecond.
 *
 *   churn MOUNT PREFIX N PORT
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

static void move_to(const char *cgroup, const char *pid)
{
	char path[4096];
	int fd;

	snprintf(path, sizeof(path), "%s/cgroup.procs", cgroup);
	fd = open(path, O_WRONLY);
	if (fd < 0 || write(fd, pid, strlen(pid)) < 0) {
		fprintf(stderr, "churn: %s: %s\n", path, strerror(errno));
		exit(1);
	}
	close(fd);
}

int main(int argc, char **argv)
{
	char home[4096], line[4096], dir[4096], pid[32];
	struct sockaddr_in addr = { .sin_family = AF_INET };
	FILE *self;
	int n, fd;

	if (argc != 5) {
		fprintf(stderr, "usage: churn MOUNT PREFIX N PORT\n");
		return 2;
	}
	n = atoi(argv[3]);
	addr.sin_port = htons(atoi(argv[4]));
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	snprintf(pid, sizeof(pid), "%d", getpid());
	/* where to go back to: our own cgroup */
	self = fopen("/proc/self/cgroup", "r");
	home[0] = 0;
	while (self && fgets(line, sizeof(line), self))
		if (!strncmp(line, "0::", 3)) {
			line[strcspn(line, "\n")] = 0;
			snprintf(home, sizeof(home), "%s", line + 3);
		}
	if (self)
		fclose(self);
	snprintf(dir, sizeof(dir), "%s%s", argv[1], home);
	snprintf(home, sizeof(home), "%s", dir);
	for (int i = 0; i < n; i++) {
		snprintf(dir, sizeof(dir), "%s/%s-%d.scope", argv[1], argv[2], i);
		if (mkdir(dir, 0755)) {
			fprintf(stderr, "churn: mkdir %s: %s\n", dir, strerror(errno));
			return 1;
		}
		move_to(dir, pid);
		fd = socket(AF_INET, SOCK_STREAM, 0);
		if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof(addr))) {
			fprintf(stderr, "churn: connect: %s\n", strerror(errno));
			return 1;
		}
		close(fd);
		move_to(home, pid);
		if (rmdir(dir)) {
			fprintf(stderr, "churn: rmdir %s: %s\n", dir, strerror(errno));
			return 1;
		}
	}
	return 0;
}
