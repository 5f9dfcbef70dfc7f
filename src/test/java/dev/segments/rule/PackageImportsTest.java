package dev.segments.rule;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/** rule/ is plain Java: JDK and Jackson only; nothing from Quarkus, Jakarta, Vert.x or Mutiny. */
class PackageImportsTest {

    static final Pattern FORBIDDEN = Pattern.compile(
            "\\b(io\\.quarkus|jakarta|javax\\.(inject|enterprise|ws)|io\\.vertx|io\\.smallrye|org\\.hibernate)\\.");
    static final Pattern IMPORT = Pattern.compile("^\\s*import\\s+(static\\s+)?([\\w.]+)", Pattern.MULTILINE);

    @Test
    void onlyJdkAndJackson() throws Exception {
        Path dir = Path.of("src/main/java/dev/segments/rule");
        List<String> violations = new ArrayList<>();
        List<Path> files;
        try (Stream<Path> s = Files.walk(dir)) {
            files = s.filter(p -> p.toString().endsWith(".java")).toList();
        }
        assertFalse(files.isEmpty());
        for (Path f : files) {
            String src = Files.readString(f);
            Matcher m = IMPORT.matcher(src);
            while (m.find()) {
                String imp = m.group(2);
                boolean ok = imp.startsWith("java.") || imp.startsWith("com.fasterxml.jackson.")
                        || imp.startsWith("dev.segments.rule.");
                if (!ok) violations.add(f.getFileName() + ": import " + imp);
            }
            // fully qualified use without import
            String code = src.replaceAll("(?s)/\\*.*?\\*/", "").replaceAll("//[^\\n]*", "");
            Matcher fq = FORBIDDEN.matcher(code);
            while (fq.find()) violations.add(f.getFileName() + ": uses " + fq.group());
        }
        assertEquals(List.of(), violations);
    }
}
