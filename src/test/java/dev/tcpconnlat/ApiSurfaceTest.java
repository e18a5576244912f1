package dev.tcpconnlat;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.lang.module.ModuleDescriptor;
import java.lang.reflect.Executable;
import java.lang.reflect.Field;
import java.lang.reflect.Member;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.lang.reflect.WildcardType;
import java.lang.reflect.GenericArrayType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The engine's public face, as the module declares it: only the engine's packages are exported,
 * and no public or protected signature in them names a java.lang.foreign type, or a type of a
 * package the module keeps to itself (the libbpf binding, the record layouts, the tools).
 */
class ApiSurfaceTest {
    private static final Path CLASSES = Path.of("target/classes");

    @Test
    void onlyTheEnginesPackagesAreExported() throws IOException {
        assertThat(descriptor().exports()).extracting(ModuleDescriptor.Exports::source)
                .containsExactlyInAnyOrder("dev.tcpconnlat.trace", "dev.tcpconnlat.event",
                        "dev.tcpconnlat.cgroup", "dev.tcpconnlat.dns");
        assertThat(descriptor().exports()).allMatch(e -> !e.isQualified());
    }

    @Test
    void noExportedSignatureNamesAnFfmOrInternalType() throws Exception {
        ModuleDescriptor module = descriptor();
        Set<String> exported = new TreeSet<>();
        module.exports().forEach(e -> exported.add(e.source()));
        List<String> leaks = new ArrayList<>();
        int members = 0;
        for (String pkg : exported) {
            for (Class<?> c : classes(pkg)) {
                if (!visible(c)) {
                    continue;
                }
                check(leaks, exported, c.getName() + " extends", c.getGenericSuperclass());
                for (Type t : c.getGenericInterfaces()) {
                    check(leaks, exported, c.getName() + " implements", t);
                }
                for (Field f : c.getDeclaredFields()) {
                    if (visible(f)) {
                        members++;
                        check(leaks, exported, name(f), f.getGenericType());
                    }
                }
                List<Executable> code = new ArrayList<>(List.of(c.getDeclaredMethods()));
                code.addAll(List.of(c.getDeclaredConstructors()));
                for (Executable e : code) {
                    if (!visible(e) || e.isSynthetic()) {
                        continue;
                    }
                    members++;
                    for (Type t : e.getGenericParameterTypes()) {
                        check(leaks, exported, name(e), t);
                    }
                    for (Type t : e.getGenericExceptionTypes()) {
                        check(leaks, exported, name(e), t);
                    }
                    if (e instanceof Method m) {
                        check(leaks, exported, name(e), m.getGenericReturnType());
                    }
                }
                if (c.isRecord()) {
                    for (RecordComponent r : c.getRecordComponents()) {
                        check(leaks, exported, c.getName() + "." + r.getName(), r.getGenericType());
                    }
                }
            }
        }
        assertThat(members).as("public members seen (the scan found the classes)").isGreaterThan(100);
        assertThat(leaks).isEmpty();
    }

    private static ModuleDescriptor descriptor() throws IOException {
        try (InputStream in = Files.newInputStream(CLASSES.resolve("module-info.class"))) {
            return ModuleDescriptor.read(in);
        }
    }

    private static List<Class<?>> classes(String pkg) throws IOException, ClassNotFoundException {
        List<Class<?>> found = new ArrayList<>();
        try (Stream<Path> files = Files.list(CLASSES.resolve(pkg.replace('.', '/')))) {
            for (Path f : files.filter(p -> p.toString().endsWith(".class")).sorted().toList()) {
                String simple = f.getFileName().toString().replaceFirst("\\.class$", "");
                found.add(Class.forName(pkg + "." + simple, false, ApiSurfaceTest.class.getClassLoader()));
            }
        }
        return found;
    }

    /** Reachable from another module: public or protected, and so is every class around it. */
    private static boolean visible(Class<?> c) {
        for (Class<?> k = c; k != null; k = k.getDeclaringClass()) {
            if (k.isAnonymousClass() || k.isLocalClass() || !(Modifier.isPublic(k.getModifiers())
                    || Modifier.isProtected(k.getModifiers()))) {
                return false;
            }
        }
        return true;
    }

    private static boolean visible(Member m) {
        return Modifier.isPublic(m.getModifiers()) || Modifier.isProtected(m.getModifiers());
    }

    private static String name(Member m) {
        return m.getDeclaringClass().getName() + "." + m.getName();
    }

    private static void check(List<String> leaks, Set<String> exported, String where, Type t) {
        if (t instanceof Class<?> c) {
            while (c.isArray()) {
                c = c.getComponentType();
            }
            String pkg = c.getPackageName();
            if (pkg.equals("java.lang.foreign")
                    || (pkg.startsWith("dev.tcpconnlat") && !exported.contains(pkg))) {
                leaks.add(where + ": " + c.getName());
            }
        } else if (t instanceof ParameterizedType p) {
            check(leaks, exported, where, p.getRawType());
            for (Type a : p.getActualTypeArguments()) {
                check(leaks, exported, where, a);
            }
        } else if (t instanceof WildcardType w) {
            for (Type b : w.getUpperBounds()) {
                check(leaks, exported, where, b);
            }
            for (Type b : w.getLowerBounds()) {
                check(leaks, exported, where, b);
            }
        } else if (t instanceof GenericArrayType g) {
            check(leaks, exported, where, g.getGenericComponentType());
        }
    }
}
