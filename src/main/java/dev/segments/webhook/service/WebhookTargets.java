package dev.segments.webhook.service;

import dev.segments.common.config.ServiceConfig;
import dev.segments.webhook.service.TargetPolicy.Checked;
import dev.segments.webhook.service.TargetPolicy.Literal;
import dev.segments.webhook.service.TargetPolicy.Name;
import dev.segments.webhook.service.TargetPolicy.Refusal;
import dev.segments.webhook.service.TargetPolicy.Refused;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.core.Vertx;
import jakarta.enterprise.context.ApplicationScoped;

import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.util.List;

/**
 * Where a webhook URL may be sent: checks it with {@link TargetPolicy}, resolves its host once and checks every
 * address. Used at registration (POST/PATCH, REST and GraphQL) and by the dispatcher before each attempt, which
 * then connects to exactly the address returned here, so a name cannot resolve to something else between the
 * check and the connection (DNS rebinding).
 */
@ApplicationScoped
public class WebhookTargets {

    /** A checked target: connect to {@code address}:{@code port}; the URL's host stays the Host header and SNI. */
    public record Target(URI uri, InetAddress address, int port, boolean https) {
    }

    private final TargetPolicy policy;
    private final HostResolver resolver;
    private final Vertx vertx;

    WebhookTargets(ServiceConfig config, HostResolver resolver, Vertx vertx) {
        ServiceConfig.Webhooks w = config.webhooks();
        this.policy = new TargetPolicy(w.allowHttp(), w.allowedPrivateTargets().orElse(List.of()));
        this.resolver = resolver;
        this.vertx = vertx;
    }

    /** The target of a URL, or a failure with {@link Refused} when this service may not call it. */
    public Uni<Target> resolve(String url) {
        Checked checked;
        URI uri;
        try {
            uri = new URI(url);
            checked = policy.check(uri);
        } catch (URISyntaxException e) {
            return Uni.createFrom().failure(new Refused(Refusal.NO_HOST));
        } catch (Refused e) {
            return Uni.createFrom().failure(e);
        }
        if (checked.host() instanceof Literal l) {
            return Uni.createFrom().item(new Target(uri, l.address(), checked.port(), checked.https()));
        }
        String name = ((Name) checked.host()).name();
        URI target = uri;
        return vertx.executeBlocking(() -> {
            List<InetAddress> addresses;
            try {
                addresses = resolver.resolve(name);
            } catch (UnknownHostException | SecurityException e) {
                throw new Refused(Refusal.UNRESOLVED);
            }
            policy.checkResolved(name, addresses);
            return new Target(target, addresses.get(0), checked.port(), checked.https());
        }, false);
    }
}
