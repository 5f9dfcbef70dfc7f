package dev.segments.support;

import io.restassured.RestAssured;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs one of the client checks in {@code src/test/node} (the users' own tools: linters, generated clients, GraphQL
 * clients, query builders, verifiers) with node, against the service under test. The packages are pinned in
 * {@code src/test/node/package-lock.json} and installed by {@code install.sh}, which Maven runs before the tests.
 *
 * <p>Every script gets {@code SEGMENTS_URL} (the running test service) in its environment besides what the test
 * passes; a script reports by its exit code, and prints what the test asserts on as the last line of stdout.
 */
public final class Node {

    /** The folder of the client checks. */
    public static final Path DIR = Path.of("src/test/node").toAbsolutePath();

    /** What one run printed and how it ended. */
    public record Result(int exitCode, String stdout, String stderr) {

        /** The last non-empty line of stdout (scripts print their JSON summary there). */
        public String lastLine() {
            List<String> lines = stdout.lines().filter(l -> !l.isBlank()).toList();
            return lines.isEmpty() ? "" : lines.get(lines.size() - 1);
        }

        /** For assertion messages. */
        public String describe() {
            return "exit " + exitCode + "\n--- stdout\n" + stdout + "\n--- stderr\n" + stderr;
        }
    }

    private Node() {
    }

    /** The URL of the service under test, without a trailing slash. */
    public static String serviceUrl() {
        return "http://127.0.0.1:" + RestAssured.port;
    }

    /** Runs {@code node <script> <args>} (script relative to {@link #DIR}) with a time limit of two minutes. */
    public static Result run(String script, Map<String, String> env, String... args) {
        return command(env, 120, prepend("node", script, args));
    }

    /** Runs a package's command-line tool from {@code node_modules/.bin} (for example {@code redocly}). */
    public static Result bin(String tool, Map<String, String> env, String... args) {
        return command(env, 180, prepend(DIR.resolve("node_modules/.bin").resolve(tool).toString(), null, args));
    }

    private static String[] prepend(String first, String second, String[] rest) {
        int n = second == null ? 1 : 2;
        String[] all = new String[rest.length + n];
        all[0] = first;
        if (second != null) {
            all[1] = second;
        }
        System.arraycopy(rest, 0, all, n, rest.length);
        return all;
    }

    private static Result command(Map<String, String> env, int timeoutSeconds, String... command) {
        try {
            File out = Files.createTempFile("node-out", ".txt").toFile();
            File err = Files.createTempFile("node-err", ".txt").toFile();
            ProcessBuilder builder = new ProcessBuilder(command).directory(DIR.toFile())
                    .redirectOutput(out).redirectError(err);
            Map<String, String> environment = builder.environment();
            environment.put("SEGMENTS_URL", serviceUrl());
            environment.put("NO_COLOR", "1");
            environment.putAll(new HashMap<>(env));
            Process process = builder.start();
            if (!process.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                process.descendants().forEach(ProcessHandle::destroyForcibly);
                process.destroyForcibly();
                throw new AssertionError(String.join(" ", command) + " did not finish in " + timeoutSeconds + " s");
            }
            Result result = new Result(process.exitValue(), Files.readString(out.toPath(), StandardCharsets.UTF_8),
                    Files.readString(err.toPath(), StandardCharsets.UTF_8));
            out.delete();
            err.delete();
            return result;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }
}
