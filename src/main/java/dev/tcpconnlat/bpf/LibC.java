package dev.tcpconnlat.bpf;

import static dev.tcpconnlat.bpf.Native.ADDRESS;
import static dev.tcpconnlat.bpf.Native.C_INT;
import static dev.tcpconnlat.bpf.Native.C_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/** The few libc calls the JDK has no API for. */
public final class LibC {
    private static final SymbolLookup LIBC = Native.LINKER.defaultLookup();

    // char *strerror(int errnum);
    private static final MethodHandle STRERROR =
            Native.handle(LIBC, "strerror", FunctionDescriptor.of(ADDRESS, C_INT));
    // const char *inet_ntop(int af, const void *src, char *dst, socklen_t size);
    private static final MethodHandle INET_NTOP =
            Native.handle(LIBC, "inet_ntop", FunctionDescriptor.of(ADDRESS, C_INT, ADDRESS, ADDRESS, C_INT));
    // int open(const char *pathname, int flags);
    private static final MethodHandle OPEN =
            Native.handleWithErrno(LIBC, "open", FunctionDescriptor.of(C_INT, ADDRESS, C_INT));
    // int close(int fd);
    private static final MethodHandle CLOSE = Native.handle(LIBC, "close", FunctionDescriptor.of(C_INT, C_INT));
    // int vsnprintf(char *str, size_t size, const char *format, va_list ap);
    private static final MethodHandle VSNPRINTF =
            Native.handle(LIBC, "vsnprintf", FunctionDescriptor.of(C_INT, ADDRESS, C_LONG, ADDRESS, ADDRESS));

    // void *mmap(void *addr, size_t length, int prot, int flags, int fd, off_t offset);
    private static final MethodHandle MMAP = Native.handleWithErrno(LIBC, "mmap",
            FunctionDescriptor.of(ADDRESS, ADDRESS, C_LONG, C_INT, C_INT, C_INT, C_LONG));
    // int munmap(void *addr, size_t length);
    private static final MethodHandle MUNMAP = Native.handle(LIBC, "munmap", FunctionDescriptor.of(C_INT, ADDRESS, C_LONG));
    // int epoll_create1(int flags);
    private static final MethodHandle EPOLL_CREATE1 =
            Native.handleWithErrno(LIBC, "epoll_create1", FunctionDescriptor.of(C_INT, C_INT));
    // int epoll_ctl(int epfd, int op, int fd, struct epoll_event *event);
    private static final MethodHandle EPOLL_CTL =
            Native.handleWithErrno(LIBC, "epoll_ctl", FunctionDescriptor.of(C_INT, C_INT, C_INT, C_INT, ADDRESS));
    // int epoll_wait(int epfd, struct epoll_event *events, int maxevents, int timeout);
    private static final MethodHandle EPOLL_WAIT =
            Native.handleWithErrno(LIBC, "epoll_wait", FunctionDescriptor.of(C_INT, C_INT, ADDRESS, C_INT, C_INT));
    // long sysconf(int name);
    private static final MethodHandle SYSCONF = Native.handle(LIBC, "sysconf", FunctionDescriptor.of(C_LONG, C_INT));
    // sighandler_t signal(int signum, sighandler_t handler);
    private static final MethodHandle SIGNAL =
            Native.handle(LIBC, "signal", FunctionDescriptor.of(ADDRESS, C_INT, ADDRESS));

    public static final int AF_INET = 2;
    public static final int AF_INET6 = 10;
    private static final int O_RDONLY = 0;
    private static final int O_DIRECTORY = 0200000;
    private static final int O_CLOEXEC = 02000000;

    private LibC() {}

    public static String strerror(int errno) {
        try {
            MemorySegment s = (MemorySegment) STRERROR.invokeExact(errno);
            return s.reinterpret(256).getString(0);
        } catch (Throwable t) {
            throw Native.failed(t);
        }
    }

    /**
     * inet_ntop(3) of the 4- or 16-byte address in {@code src} into {@code dst} (at least
     * INET6_ADDRSTRLEN, 46 bytes, for any address), both native. Returns the text's length; allocates nothing.
     */
    public static int inetNtop(int family, MemorySegment src, MemorySegment dst) {
        try {
            MemorySegment r = (MemorySegment) INET_NTOP.invokeExact(family, src, dst, (int) dst.byteSize());
            if (r.equals(MemorySegment.NULL)) {
                throw new IllegalArgumentException("inet_ntop: bad address family " + family);
            }
            int n = 0;
            while (n < dst.byteSize() && dst.get(ValueLayout.JAVA_BYTE, n) != 0) {
                n++;
            }
            return n;
        } catch (Throwable t) {
            throw Native.failed(t);
        }
    }

    /** Opens a directory read-only and returns its file descriptor. */
    public static int openDirectory(String path) {
        try (Arena arena = Arena.ofConfined()) {
            return Native.check((int) OPEN.invokeExact(Native.callState(), arena.allocateFrom(path),
                    O_RDONLY | O_DIRECTORY | O_CLOEXEC), "cannot open " + path);
        } catch (Throwable t) {
            throw Native.failed(t);
        }
    }

    public static void close(int fd) {
        try {
            int ignored = (int) CLOSE.invokeExact(fd);
        } catch (Throwable t) {
            throw Native.failed(t);
        }
    }

    /**
     * Sets {@code signal} back to its default action. A shell starts background jobs with SIGINT
     * ignored, and the JVM will not install a handler for an ignored signal; libbpf-tools and Go
     * tools un-ignore it, because scripts stop them with {@code kill -INT}.
     */
    public static void defaultSignal(int signal) {
        try {
            var ignored = (MemorySegment) SIGNAL.invokeExact(signal, MemorySegment.NULL); // SIG_DFL
        } catch (Throwable t) {
            throw Native.failed(t);
        }
    }

    public static final int PROT_READ = 1;
    public static final int PROT_WRITE = 2;
    private static final int MAP_SHARED = 1;
    private static final int SC_PAGESIZE = 30;
    private static final int EPOLL_CLOEXEC = 02000000;
    private static final int EPOLL_CTL_ADD = 1;
    private static final int EPOLLIN = 1;
    /** struct epoll_event: u32 events, u64 data; 12 bytes packed on x86-64, 16 elsewhere: room for either. */
    public static final long EPOLL_EVENT_SIZE = 16;
    private static final int EINTR = 4;

    public static long pageSize() {
        try {
            return (long) SYSCONF.invokeExact(SC_PAGESIZE);
        } catch (Throwable t) {
            throw Native.failed(t);
        }
    }

    /**
     * mmap(2) of {@code length} bytes of {@code fd} at {@code offset}, shared; unmapped when
     * {@code arena} closes.
     */
    public static MemorySegment mmap(int fd, long offset, long length, int prot, Arena arena) {
        try {
            MemorySegment p = (MemorySegment) MMAP.invokeExact(Native.callState(), MemorySegment.NULL, length, prot,
                    MAP_SHARED, fd, offset);
            if (p.address() == -1L) {
                throw new BpfException("cannot map the ring buffer", Native.errno());
            }
            return p.reinterpret(length, arena, LibC::munmap);
        } catch (Throwable t) {
            throw Native.failed(t);
        }
    }

    private static void munmap(MemorySegment mapping) {
        try {
            int ignored = (int) MUNMAP.invokeExact(mapping, mapping.byteSize());
        } catch (Throwable t) {
            throw Native.failed(t);
        }
    }

    /** An epoll instance watching {@code fd} for input; {@code event} is scratch space of {@link #EPOLL_EVENT_SIZE}. */
    public static int epollFor(int fd, MemorySegment event) {
        try {
            int epfd = Native.check((int) EPOLL_CREATE1.invokeExact(Native.callState(), EPOLL_CLOEXEC), "epoll_create1");
            event.fill((byte) 0);
            event.set(ValueLayout.JAVA_INT, 0, EPOLLIN);
            if ((int) EPOLL_CTL.invokeExact(Native.callState(), epfd, EPOLL_CTL_ADD, fd, event) < 0) {
                int errno = Native.errno();
                close(epfd);
                throw new BpfException("epoll_ctl", errno);
            }
            return epfd;
        } catch (Throwable t) {
            throw Native.failed(t);
        }
    }

    /** epoll_wait(2) for one event; 0 on timeout or EINTR. Allocates nothing. */
    public static int epollWait(int epfd, MemorySegment event, int timeoutMs) {
        try {
            int n = (int) EPOLL_WAIT.invokeExact(Native.callState(), epfd, event, 1, timeoutMs);
            if (n < 0) {
                int errno = Native.errno();
                if (errno == EINTR) {
                    return 0;
                }
                throw new BpfException("epoll_wait", errno);
            }
            return n;
        } catch (Throwable t) {
            throw Native.failed(t);
        }
    }

    /** vsnprintf(3): formats a printf-style callback's arguments into {@code buf}; returns the full length. */
    static int vsnprintf(MemorySegment buf, MemorySegment format, MemorySegment args) {
        try {
            return (int) VSNPRINTF.invokeExact(buf, buf.byteSize(), format, args);
        } catch (Throwable t) {
            throw Native.failed(t);
        }
    }
}
