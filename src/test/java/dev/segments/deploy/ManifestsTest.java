package dev.segments.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.domain.JavaCodeUnit;
import com.tngtech.archunit.core.domain.JavaField;
import com.tngtech.archunit.core.domain.JavaParameter;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import dev.segments.common.config.ServiceConfig;
import dev.segments.support.Node;
import io.smallrye.config.ConfigMapping;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.io.File;
import java.io.IOException;
import java.lang.reflect.Method;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The Kubernetes manifests of k8s/ as an operator applies them: every overlay rendered (kustomize) and validated
 * against the Kubernetes and CloudNativePG schemas (src/test/node/k8s/validate.mjs: JSON schema, strict fields by
 * the models' TypeScript types, cross-references); rendered as {@code kubectl kustomize} renders it where that
 * command exists; and every environment variable a manifest sets is a setting the service reads.
 */
class ManifestsTest {

    static final Path ROOT = Path.of("").toAbsolutePath();
    static final Path OVERLAYS = ROOT.resolve("k8s/overlays");
    static final ObjectMapper JSON = new ObjectMapper();

    /** The keys of the secret CloudNativePG generates for a cluster's application user ({@code <cluster>-app}). */
    static final Set<String> CNPG_APP_SECRET_KEYS = Set.of("username", "password", "host", "port", "dbname", "uri",
            "jdbc-uri", "pgpass", "fqdn-uri", "fqdn-jdbc-uri");

    @Test
    void everyOverlayValidatesAgainstTheKubernetesAndCloudNativePgSchemas() throws IOException {
        List<String> overlays = overlays();
        assertTrue(overlays.containsAll(List.of("k8s/overlays/dev", "k8s/overlays/prod")), overlays.toString());
        List<String> args = new ArrayList<>();
        args.add(ROOT.toString());
        args.addAll(overlays);
        Node.Result r = Node.run("k8s/validate.mjs", Map.of(), args.toArray(String[]::new));
        assertEquals(0, r.exitCode(), r.describe());
        JsonNode summary = JSON.readTree(r.lastLine());
        assertEquals(0, summary.get("errors").asInt());
        for (String overlay : overlays) {
            List<String> kinds = new ArrayList<>();
            summary.get("overlays").get(overlay).forEach(n -> kinds.add(n.asText().replaceFirst("/.*", "")));
            assertTrue(kinds.containsAll(List.of("Cluster", "Deployment", "Service", "Job", "PodDisruptionBudget",
                    "HorizontalPodAutoscaler", "NetworkPolicy")), overlay + ": " + kinds);
        }
    }

    @Test
    void theOverlaysRenderAsKubectlKustomizeRendersThem() throws Exception {
        String kubectl = onPath("kubectl");
        String kustomize = onPath("kustomize");
        Assumptions.assumeTrue(kubectl != null || kustomize != null, "neither kubectl nor kustomize on PATH");
        for (String overlay : overlays()) {
            List<String> command = kustomize != null ? List.of(kustomize, "build", overlay)
                    : List.of(kubectl, "kustomize", overlay);
            File out = Files.createTempFile("kustomize", ".yaml").toFile();
            Process p = new ProcessBuilder(command).directory(ROOT.toFile()).redirectOutput(out)
                    .redirectError(ProcessBuilder.Redirect.DISCARD).start();
            assertTrue(p.waitFor(60, TimeUnit.SECONDS));
            assertEquals(0, p.exitValue(), String.join(" ", command));
            Map<String, JsonNode> theirs = byName(yamlToJson(out.toPath()));
            out.delete();
            Map<String, JsonNode> ours = byName(render(overlay));
            assertEquals(theirs.keySet(), ours.keySet(), overlay);
            for (String name : ours.keySet()) {
                assertEquals(theirs.get(name), ours.get(name), overlay + ": " + name);
            }
        }
    }

    @Test
    void everyEnvVarAManifestSetsIsASettingTheServiceReads() throws IOException {
        Set<String> read = envNamesTheServiceReads();
        assertTrue(read.contains("DB_URL") && read.contains("SEGMENTS_WEBHOOKS_ENABLED")
                && read.contains("QUARKUS_HTTP_PORT"), "the rules find names the service reads: " + read);
        assertFalse(read.contains("SEGMENTS_NO_SUCH_SETTING") || read.contains("DB_HOST"), "and only those");

        int checked = 0;
        for (String overlay : overlays()) {
            JsonNode resources = render(overlay);
            Set<String> clusters = new HashSet<>();
            resources.forEach(r -> {
                if (r.path("kind").asText().equals("Cluster")) {
                    clusters.add(r.path("metadata").path("name").asText());
                }
            });
            for (JsonNode r : resources) {
                JsonNode pod = r.path("spec").path("template").path("spec");
                for (String list : List.of("containers", "initContainers")) {
                    for (JsonNode c : pod.path(list)) {
                        String where = overlay + ": " + r.path("kind").asText() + "/"
                                + r.path("metadata").path("name").asText() + " container " + c.path("name").asText();
                        assertTrue(c.path("envFrom").isMissingNode(), where + ": envFrom sets names no test can check");
                        for (JsonNode env : c.path("env")) {
                            String name = env.path("name").asText();
                            assertTrue(read.contains(name), where + " sets " + name + ", which the service does not read");
                            JsonNode ref = env.path("valueFrom").path("secretKeyRef");
                            String secret = ref.path("name").asText();
                            if (secret.endsWith("-app") && clusters.contains(secret.substring(0, secret.length() - 4))) {
                                assertTrue(CNPG_APP_SECRET_KEYS.contains(ref.path("key").asText()),
                                        where + ": " + name + " reads key " + ref.path("key").asText()
                                                + ", which CloudNativePG's " + secret + " does not have");
                            }
                            checked++;
                        }
                    }
                }
            }
        }
        assertTrue(checked >= 10, "env vars checked: " + checked);
    }

    // ------------------------------------------------------------------ what the service reads

    /**
     * Every environment variable name the service reads: those application.properties references as
     * {@code ${NAME}}, those Main reads before Quarkus starts, and the MicroProfile Config environment name of
     * every property it reads (the keys of application.properties, the {@code segments.*} mapping and every
     * {@code @ConfigProperty}): each character that is not a letter or digit becomes {@code _}, letters upper case.
     */
    static Set<String> envNamesTheServiceReads() throws IOException {
        Set<String> names = new TreeSet<>();
        String props = Files.readString(ROOT.resolve("src/main/resources/application.properties"), StandardCharsets.UTF_8);
        Matcher ref = Pattern.compile("\\$\\{([A-Za-z_][A-Za-z0-9_]*)").matcher(props);
        while (ref.find()) {
            names.add(ref.group(1));
        }
        Set<String> properties = new TreeSet<>();
        for (String line : props.split("\n")) {
            Matcher key = Pattern.compile("^(?:%[a-z]+\\.)?([a-zA-Z][^=\\s]*)\\s*=").matcher(line);
            if (!line.startsWith(" ") && key.find()) {
                properties.add(key.group(1));
            }
        }
        String main = Files.readString(ROOT.resolve("src/main/java/dev/segments/Main.java"), StandardCharsets.UTF_8);
        Matcher setting = Pattern.compile("setting\\(\"([A-Z][A-Z0-9_]*)\"").matcher(main);
        while (setting.find()) {
            names.add(setting.group(1));
        }
        mappingNames(ServiceConfig.class.getAnnotation(ConfigMapping.class).prefix(), ServiceConfig.class, properties);
        JavaClasses classes = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages("dev.segments");
        classes.forEach(c -> {
            for (JavaField f : c.getFields()) {
                if (f.isAnnotatedWith(ConfigProperty.class)) {
                    properties.add(f.getAnnotationOfType(ConfigProperty.class).name());
                }
            }
            for (JavaCodeUnit u : c.getCodeUnits()) {
                for (JavaParameter p : u.getParameters()) {
                    if (p.isAnnotatedWith(ConfigProperty.class)) {
                        properties.add(p.getAnnotationOfType(ConfigProperty.class).name());
                    }
                }
            }
        });
        properties.forEach(p -> names.add(envName(p)));
        return names;
    }

    /** The property names of a config mapping interface (kebab-case members, nested groups). */
    static void mappingNames(String prefix, Class<?> type, Set<String> into) {
        for (Method m : type.getDeclaredMethods()) {
            if (m.getParameterCount() > 0 || m.isDefault() || java.lang.reflect.Modifier.isStatic(m.getModifiers())) {
                continue;
            }
            String name = prefix + "." + m.getName().replaceAll("([a-z0-9])([A-Z])", "$1-$2").toLowerCase(Locale.ROOT);
            Class<?> group = groupType(m.getGenericReturnType());
            if (group != null) {
                mappingNames(name, group, into);
            } else {
                into.add(name);
            }
        }
    }

    private static Class<?> groupType(Type t) {
        if (t instanceof ParameterizedType p && p.getRawType() == Optional.class) {
            t = p.getActualTypeArguments()[0];
        }
        return t instanceof Class<?> c && c.isInterface() && c.getName().startsWith("dev.segments.") ? c : null;
    }

    static String envName(String property) {
        return property.replaceAll("[^A-Za-z0-9]", "_").toUpperCase(Locale.ROOT);
    }

    // ------------------------------------------------------------------ helpers

    static List<String> overlays() throws IOException {
        try (Stream<Path> dirs = Files.list(OVERLAYS)) {
            return dirs.filter(Files::isDirectory).map(d -> ROOT.relativize(d).toString().replace('\\', '/'))
                    .sorted().toList();
        }
    }

    static JsonNode render(String overlay) throws IOException {
        Node.Result r = Node.run("k8s/validate.mjs", Map.of(), "--render", ROOT.resolve(overlay).toString());
        assertEquals(0, r.exitCode(), r.describe());
        return JSON.readTree(r.lastLine());
    }

    /** Parses a multi-document YAML file with the node yaml package (the one the renderer uses). */
    static JsonNode yamlToJson(Path file) throws IOException {
        Path script = Files.createTempFile(Node.DIR, ".yaml-to-json", ".mjs");
        try {
            Files.writeString(script, """
                    import fs from "node:fs"; import YAML from "yaml";
                    const docs = YAML.parseAllDocuments(fs.readFileSync(process.argv[2], "utf8")).map((d) => d.toJSON())
                      .filter((d) => d != null);
                    console.log(JSON.stringify(docs));
                    """);
            Node.Result r = Node.run(script.getFileName().toString(), Map.of(), file.toString());
            assertEquals(0, r.exitCode(), r.describe());
            return JSON.readTree(r.lastLine());
        } finally {
            Files.deleteIfExists(script);
        }
    }

    static Map<String, JsonNode> byName(JsonNode resources) {
        Map<String, JsonNode> map = new HashMap<>();
        resources.forEach(r -> map.put(r.path("kind").asText() + "/" + r.path("metadata").path("name").asText(), r));
        return map;
    }

    static String onPath(String command) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            Path p = Path.of(dir, command);
            if (Files.isExecutable(p)) {
                return p.toString();
            }
        }
        return null;
    }
}
