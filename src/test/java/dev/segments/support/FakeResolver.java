package dev.segments.support;

import dev.segments.webhook.service.HostResolver;
import io.quarkus.test.Mock;
import jakarta.enterprise.context.ApplicationScoped;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The webhook host resolver in every @QuarkusTest: a fixed table, so no test sends a DNS query. A test can script
 * the answers a name gets one lookup after the other ({@link #script}), e.g. a loopback address at registration
 * and another one at delivery (DNS rebinding). Names it does not know do not resolve.
 */
@Mock
@ApplicationScoped
public class FakeResolver extends HostResolver {

    /** Public addresses that no test ever connects to (the dispatcher is not run against these names). */
    private static final Map<String, List<String>> TABLE = Map.of(
            "example.com", List.of("93.184.215.14"),
            "example.org", List.of("93.184.215.14"),
            "internal.example.test", List.of("10.1.2.3"),
            "mixed.example.test", List.of("93.184.215.14", "10.1.2.3"),
            "v6.example.test", List.of("fd12:3456::1"));

    private final Map<String, Deque<List<String>>> scripted = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> lookups = new ConcurrentHashMap<>();

    @Override
    public List<InetAddress> resolve(String name) throws UnknownHostException {
        lookups.computeIfAbsent(name, n -> new AtomicInteger()).incrementAndGet();
        Deque<List<String>> answers = scripted.get(name);
        List<String> addresses;
        if (answers != null) {
            synchronized (answers) {
                // the last answer stays
                addresses = answers.size() > 1 ? answers.poll() : answers.peek();
            }
        } else {
            addresses = TABLE.get(name);
        }
        if (addresses == null) {
            throw new UnknownHostException(name);
        }
        InetAddress[] out = new InetAddress[addresses.size()];
        for (int i = 0; i < out.length; i++) {
            // literals only: InetAddress parses them without a lookup
            out[i] = InetAddress.getByName(addresses.get(i).contains(":") ? "[" + addresses.get(i) + "]" : addresses.get(i));
        }
        return List.of(out);
    }

    /** The name resolves to the first list, then the second, ...; the last one stays. */
    @SafeVarargs
    public final void script(String name, List<String>... answers) {
        scripted.put(name, new ArrayDeque<>(List.of(answers)));
        lookups.remove(name);
    }

    public void forget(String name) {
        scripted.remove(name);
        lookups.remove(name);
    }

    /** How often the name was looked up since it was scripted. */
    public int lookups(String name) {
        AtomicInteger n = lookups.get(name);
        return n == null ? 0 : n.get();
    }
}
