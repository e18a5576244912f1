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

/**
 * Downcall handles to the system's libbpf.so.1: only the functions this project calls,
 * each with its C prototype. Functions returning int give -errno on failure (libbpf 1.0
 * semantics); those returning a pointer give NULL and set errno, hence the captured state.
 * The small classes beside this one (BpfObject, BpfMap, ...) are the API; use them instead.
 */
final class LibBpf {
    private static final SymbolLookup LIB = load();

    private LibBpf() {}

    /** Fails with a one-line, actionable message when libbpf is not installed. */
    static SymbolLookup load() {
        try {
            return SymbolLookup.libraryLookup("libbpf.so.1", Arena.global());
        } catch (IllegalArgumentException e) {
            throw new BpfException("libbpf.so.1 not found: install the libbpf1 package (apt-get install libbpf1)");
        }
    }

    private static MethodHandle fn(String name, FunctionDescriptor fd) {
        return Native.handle(LIB, name, fd);
    }

    private static MethodHandle fnErrno(String name, FunctionDescriptor fd) {
        return Native.handleWithErrno(LIB, name, fd);
    }

    // libbpf_print_fn_t libbpf_set_print(libbpf_print_fn_t fn);
    static final MethodHandle SET_PRINT = fn("libbpf_set_print", FunctionDescriptor.of(ADDRESS, ADDRESS));
    // struct bpf_object *bpf_object__open_mem(const void *obj_buf, size_t obj_buf_sz, const struct bpf_object_open_opts *opts);
    static final MethodHandle OBJECT_OPEN_MEM =
            fnErrno("bpf_object__open_mem", FunctionDescriptor.of(ADDRESS, ADDRESS, C_LONG, ADDRESS));
    // int bpf_object__load(struct bpf_object *obj);
    static final MethodHandle OBJECT_LOAD = fn("bpf_object__load", FunctionDescriptor.of(C_INT, ADDRESS));
    // void bpf_object__close(struct bpf_object *obj);
    static final MethodHandle OBJECT_CLOSE = fn("bpf_object__close", FunctionDescriptor.ofVoid(ADDRESS));
    // struct bpf_map *bpf_object__find_map_by_name(const struct bpf_object *obj, const char *name);
    static final MethodHandle FIND_MAP =
            fn("bpf_object__find_map_by_name", FunctionDescriptor.of(ADDRESS, ADDRESS, ADDRESS));
    // struct bpf_program *bpf_object__find_program_by_name(const struct bpf_object *obj, const char *name);
    static final MethodHandle FIND_PROGRAM =
            fn("bpf_object__find_program_by_name", FunctionDescriptor.of(ADDRESS, ADDRESS, ADDRESS));
    // int bpf_map__fd(const struct bpf_map *map);
    static final MethodHandle MAP_FD = fn("bpf_map__fd", FunctionDescriptor.of(C_INT, ADDRESS));
    // void *bpf_map__initial_value(struct bpf_map *map, size_t *psize);
    static final MethodHandle MAP_INITIAL_VALUE =
            fn("bpf_map__initial_value", FunctionDescriptor.of(ADDRESS, ADDRESS, ADDRESS));
    // int bpf_map__reuse_fd(struct bpf_map *map, int fd);
    static final MethodHandle MAP_REUSE_FD = fn("bpf_map__reuse_fd", FunctionDescriptor.of(C_INT, ADDRESS, C_INT));
    // __u32 bpf_map__max_entries(const struct bpf_map *map);
    static final MethodHandle MAP_MAX_ENTRIES = fn("bpf_map__max_entries", FunctionDescriptor.of(C_INT, ADDRESS));
    // int bpf_map__set_max_entries(struct bpf_map *map, __u32 max_entries);
    static final MethodHandle MAP_SET_MAX_ENTRIES =
            fn("bpf_map__set_max_entries", FunctionDescriptor.of(C_INT, ADDRESS, C_INT));
    // int bpf_program__set_autoload(struct bpf_program *prog, bool autoload);
    static final MethodHandle PROGRAM_SET_AUTOLOAD =
            fn("bpf_program__set_autoload", FunctionDescriptor.of(C_INT, ADDRESS, ValueLayout.JAVA_BOOLEAN));
    // struct bpf_link *bpf_program__attach(const struct bpf_program *prog);
    static final MethodHandle PROGRAM_ATTACH = fnErrno("bpf_program__attach", FunctionDescriptor.of(ADDRESS, ADDRESS));
    // struct bpf_link *bpf_program__attach_cgroup(const struct bpf_program *prog, int cgroup_fd);
    static final MethodHandle PROGRAM_ATTACH_CGROUP =
            fnErrno("bpf_program__attach_cgroup", FunctionDescriptor.of(ADDRESS, ADDRESS, C_INT));
    // int bpf_link__destroy(struct bpf_link *link);
    static final MethodHandle LINK_DESTROY = fn("bpf_link__destroy", FunctionDescriptor.of(C_INT, ADDRESS));
    // int bpf_obj_get(const char *pathname);
    static final MethodHandle OBJ_GET = fn("bpf_obj_get", FunctionDescriptor.of(C_INT, ADDRESS));
    // int bpf_map_update_elem(int fd, const void *key, const void *value, __u64 flags);
    static final MethodHandle MAP_UPDATE_ELEM =
            fn("bpf_map_update_elem", FunctionDescriptor.of(C_INT, C_INT, ADDRESS, ADDRESS, C_LONG));
    // int bpf_map_lookup_elem(int fd, const void *key, void *value);
    static final MethodHandle MAP_LOOKUP_ELEM =
            fn("bpf_map_lookup_elem", FunctionDescriptor.of(C_INT, C_INT, ADDRESS, ADDRESS));
    // int bpf_map_lookup_and_delete_elem(int fd, const void *key, void *value);
    static final MethodHandle MAP_LOOKUP_AND_DELETE_ELEM =
            fn("bpf_map_lookup_and_delete_elem", FunctionDescriptor.of(C_INT, C_INT, ADDRESS, ADDRESS));
    // int bpf_map_delete_elem(int fd, const void *key);
    static final MethodHandle MAP_DELETE_ELEM = fn("bpf_map_delete_elem", FunctionDescriptor.of(C_INT, C_INT, ADDRESS));
    // int bpf_program__fd(const struct bpf_program *prog);
    static final MethodHandle PROGRAM_FD = fn("bpf_program__fd", FunctionDescriptor.of(C_INT, ADDRESS));
    // int bpf_map_get_next_key(int fd, const void *key, void *next_key);
    static final MethodHandle MAP_GET_NEXT_KEY =
            fn("bpf_map_get_next_key", FunctionDescriptor.of(C_INT, C_INT, ADDRESS, ADDRESS));

    // int bpf_prog_load(enum bpf_prog_type prog_type, const char *prog_name, const char *license,
    //                   const struct bpf_insn *insns, size_t insn_cnt, const struct bpf_prog_load_opts *opts);
    static final MethodHandle PROG_LOAD = fn("bpf_prog_load",
            FunctionDescriptor.of(C_INT, C_INT, ADDRESS, ADDRESS, ADDRESS, C_LONG, ADDRESS));

    /** Calls a libbpf destructor ({@code void f(T *p)}) on {@code p}. */
    static void free(MethodHandle destructor, MemorySegment p) {
        try {
            destructor.invokeExact(p);
        } catch (Throwable t) {
            throw Native.failed(t);
        }
    }

}
