package dev.segments.webhook.service;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.segments.common.error.Problem;
import dev.segments.common.error.ProblemException;
import dev.segments.common.error.ProblemType;
import dev.segments.common.error.Violations;
import dev.segments.common.pagination.Cursors;
import dev.segments.common.pagination.Page;
import dev.segments.common.pagination.PageRequest;
import dev.segments.webhook.WebhookDtos.DeliveryView;
import dev.segments.webhook.WebhookDtos.WebhookInput;
import dev.segments.webhook.WebhookDtos.WebhookUpdate;
import dev.segments.webhook.WebhookDtos.WebhookView;
import dev.segments.webhook.persistence.DeliveryRepository;
import dev.segments.webhook.persistence.DeliveryRow;
import dev.segments.webhook.persistence.SubscriptionRow;
import dev.segments.webhook.persistence.WebhookRepository;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.validation.Validator;

import java.net.URI;
import java.net.URISyntaxException;
import java.security.SecureRandom;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;

/** Webhook subscriptions of a tenant and their delivery logs. Sending is {@link WebhookDispatcher}'s job. */
@ApplicationScoped
public class WebhookService {

    /** A subscription created by this call, with the secret that is shown only now. */
    public record Created(WebhookView webhook, String secret) {
    }

    private static final SecureRandom RANDOM = new SecureRandom();

    private final WebhookRepository webhooks;
    private final DeliveryRepository deliveries;
    private final Validator validator;
    private final ObjectMapper mapper;
    private final WebhookTargets targets;

    WebhookService(WebhookRepository webhooks, DeliveryRepository deliveries, Validator validator, ObjectMapper mapper,
                   WebhookTargets targets) {
        this.targets = targets;
        this.webhooks = webhooks;
        this.deliveries = deliveries;
        this.validator = validator;
        this.mapper = mapper;
    }

    public Uni<Created> create(long tenantId, WebhookInput input) {
        List<Problem.FieldError> errors = new ArrayList<>(Violations.toErrors(validator.validate(input), ""));
        checkUrl(input.url(), errors);
        checkSecret(input.secret(), errors);
        return checkTarget(input.url(), errors).chain(() -> checkSegments(tenantId, input.segments(), errors))
                .chain(() -> {
                    String secret = input.secret() == null ? newSecret() : input.secret();
                    return webhooks.insert(tenantId, input.url(), distinct(input.segments()), secret,
                            "beginning".equals(input.from())).map(row -> new Created(view(row), secret));
                });
    }

    public Uni<Page<WebhookView>> list(long tenantId, PageRequest page) {
        return webhooks.page(tenantId, page.afterId(), page.limit()).map(rows -> Page.fromOverfetch(
                rows.stream().map(WebhookService::view).toList(), page.limit(), w -> Cursors.encodeId(w.id())));
    }

    public Uni<WebhookView> get(long tenantId, long id) {
        return webhooks.find(tenantId, id).map(r -> view(r.orElseThrow(() -> notFound(id))));
    }

    /** Changes url, segments, active and secret where given; the feed position is kept. */
    public Uni<WebhookView> update(long tenantId, long id, WebhookUpdate update) {
        if (update == null) {
            throw new ProblemException(ProblemType.MALFORMED_REQUEST, "The body must be a JSON object");
        }
        List<Problem.FieldError> errors = new ArrayList<>(Violations.toErrors(validator.validate(update), ""));
        if (update.url() != null) {
            checkUrl(update.url(), errors);
        }
        checkSecret(update.secret(), errors);
        return webhooks.find(tenantId, id).map(r -> r.orElseThrow(() -> notFound(id)))
                .chain(() -> update.url() == null ? Uni.createFrom().voidItem() : checkTarget(update.url(), errors))
                .chain(() -> checkSegments(tenantId, update.segments(), errors))
                .chain(() -> webhooks.update(tenantId, id, update.url(),
                        update.segments() == null ? null : distinct(update.segments()), update.active(), update.secret()))
                .map(r -> view(r.orElseThrow(() -> notFound(id))));
    }

    public Uni<Void> delete(long tenantId, long id) {
        return webhooks.delete(tenantId, id).invoke(deleted -> {
            if (!deleted) {
                throw notFound(id);
            }
        }).replaceWithVoid();
    }

    /** A page of the subscription's delivery log, newest first. */
    public Uni<Page<DeliveryView>> deliveries(long tenantId, long webhookId, PageRequest page) {
        LogPosition after = LogPosition.of(page.after());
        return get(tenantId, webhookId).chain(() -> deliveries.page(tenantId, webhookId, after.at(), after.id(),
                page.limit())).map(rows -> logPage(rows, page.limit()));
    }

    /** Pages of the delivery logs of many subscriptions of the tenant, in one query. */
    public Uni<Map<Long, Page<DeliveryView>>> deliveries(long tenantId, List<Long> webhookIds, PageRequest page) {
        LogPosition after = LogPosition.of(page.after());
        return deliveries.pages(tenantId, webhookIds, after.at(), after.id(), page.limit()).map(rows -> {
            Map<Long, Page<DeliveryView>> pages = new HashMap<>();
            for (Long id : webhookIds) {
                pages.put(id, logPage(rows.getOrDefault(id, List.of()), page.limit()));
            }
            return pages;
        });
    }

    /** One delivery with the body that is (or was) sent. */
    public Uni<DeliveryView> delivery(long tenantId, long webhookId, String deliveryId) {
        UUID id = deliveryId(deliveryId);
        return deliveries.find(tenantId, webhookId, id).map(r -> view(r.orElseThrow(() -> deliveryNotFound(deliveryId))));
    }

    /**
     * Puts a failed delivery back in the queue with a fresh set of attempts. It keeps its id (receivers that saw
     * it before can recognize it) and is sent before the subscription's later pending deliveries.
     */
    public Uni<DeliveryView> retry(long tenantId, long webhookId, String deliveryId) {
        UUID id = deliveryId(deliveryId);
        return deliveries.requeueFailed(tenantId, webhookId, id).chain(requeued -> requeued.isPresent()
                ? Uni.createFrom().item(view(requeued.get()))
                : deliveries.find(tenantId, webhookId, id).map(found -> {
                    DeliveryRow d = found.orElseThrow(() -> deliveryNotFound(deliveryId));
                    throw new ProblemException(ProblemType.CONFLICT, "Delivery " + deliveryId + " is " + d.status()
                            + "; only a failed delivery can be retried");
                }));
    }

    // ------------------------------------------------------------------ views and checks

    public static WebhookView view(SubscriptionRow r) {
        return new WebhookView(r.id(), r.url(), r.segments(), r.active(), r.lastChangeId(), r.createdAt());
    }

    private DeliveryView view(DeliveryRow d) {
        try {
            return new DeliveryView(d.id().toString(), d.status(), d.attempts(), d.firstChangeId(), d.lastChangeId(),
                    d.changeCount(), d.lastStatusCode(), d.lastError(),
                    "pending".equals(d.status()) ? d.nextAttemptAt() : null, d.createdAt(), d.deliveredAt(),
                    d.body() == null ? null : mapper.readTree(d.body()));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("stored delivery body is not JSON", e);
        }
    }

    private Page<DeliveryView> logPage(List<DeliveryRow> rows, int limit) {
        Page<DeliveryRow> page = Page.fromOverfetch(rows, limit, d -> LogPosition.cursor(d.createdAt(), d.id()));
        return new Page<>(page.items().stream().map(this::view).toList(), page.nextCursor());
    }

    /** The cursor after this delivery in its log. */
    public static String deliveryCursor(DeliveryView d) {
        return LogPosition.cursor(d.createdAt(), UUID.fromString(d.id()));
    }

    /** The cursor of the delivery log: strictly before (createdAt, id) in (createdAt desc, id desc) order. */
    record LogPosition(OffsetDateTime at, UUID id) {
        static LogPosition of(String cursor) {
            if (cursor == null) {
                return new LogPosition(null, null);
            }
            String[] key = Cursors.decode(cursor).split("\\|");
            try {
                return new LogPosition(OffsetDateTime.parse(key[0]), UUID.fromString(key[1]));
            } catch (DateTimeParseException | IllegalArgumentException | ArrayIndexOutOfBoundsException e) {
                throw Cursors.invalid();
            }
        }

        static String cursor(OffsetDateTime at, UUID id) {
            return Cursors.encode(at + "|" + id);
        }
    }

    /** A URL the dispatcher can POST to: absolute http(s) with a host, no fragment. */
    private static void checkUrl(String url, List<Problem.FieldError> errors) {
        if (url == null || url.isBlank() || errors.stream().anyMatch(e -> "/url".equals(e.pointer()))) {
            return;
        }
        String problem = null;
        try {
            URI uri = new URI(url);
            String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
            if (!scheme.equals("http") && !scheme.equals("https")) {
                problem = "must be an absolute http or https URL";
            } else if (uri.getRawUserInfo() != null) {
                problem = "must not carry credentials; verify the signature instead";
            } else if ((uri.getHost() == null || uri.getHost().isEmpty()) && numericHost(uri)) {
                errors.add(forbiddenTarget());
                return;
            } else if (uri.getHost() == null || uri.getHost().isEmpty()) {
                problem = "must name a host";
            } else if (uri.getRawFragment() != null) {
                problem = "must not have a fragment";
            }
        } catch (URISyntaxException e) {
            problem = "is not a valid URL: " + e.getReason();
        }
        if (problem != null) {
            errors.add(new Problem.FieldError("/url", "invalid_url", "url " + problem));
        }
    }

    /**
     * Adds a {@code forbidden_target} (or {@code https_required}) error when the URL is well formed but points
     * where this service may not send (docs/webhooks.md): resolves the host and checks every address. The message
     * is fixed: it never says what the host resolved to.
     */
    private Uni<Void> checkTarget(String url, List<Problem.FieldError> errors) {
        if (url == null || errors.stream().anyMatch(e -> "/url".equals(e.pointer()))) {
            return Uni.createFrom().voidItem();
        }
        return targets.resolve(url).replaceWithVoid().onFailure(TargetPolicy.Refused.class).recoverWithUni(e -> {
            TargetPolicy.Refusal reason = ((TargetPolicy.Refused) e).reason();
            errors.add(reason == TargetPolicy.Refusal.HTTPS_REQUIRED
                    ? new Problem.FieldError("/url", "https_required", "url must use https")
                    : forbiddenTarget());
            return Uni.createFrom().voidItem();
        });
    }

    private static Problem.FieldError forbiddenTarget() {
        return new Problem.FieldError("/url", "forbidden_target",
                "url must name a host that resolves to public addresses only");
    }

    /** An authority the URI class could not read as a host name, ending in a number: an IPv4 address in disguise. */
    private static boolean numericHost(URI uri) {
        try {
            return uri.getRawAuthority() != null
                    && TargetPolicy.host(uri.getRawAuthority().replaceFirst(":[0-9]*$", "")) instanceof TargetPolicy.Literal;
        } catch (TargetPolicy.Refused e) {
            return e.reason() == TargetPolicy.Refusal.NUMERIC_FORM;
        }
    }

    /** Fails with every error found so far plus the segment keys (as sent) the tenant does not have. */
    private Uni<Void> checkSegments(long tenantId, List<String> sent, List<Problem.FieldError> errors) {
        List<String> segments = sent == null ? List.of() : sent;
        Uni<List<String>> existing = segments.isEmpty() ? Uni.createFrom().item(List.of())
                : webhooks.existingSegments(tenantId, segments.stream().filter(Objects::nonNull).toList());
        return existing.invoke(found -> {
            List<Problem.FieldError> all = new ArrayList<>(errors);
            for (int i = 0; i < segments.size(); i++) {
                String key = segments.get(i);
                String pointer = "/segments/" + i;
                if (key != null && !found.contains(key) && all.stream().noneMatch(e -> pointer.equals(e.pointer()))) {
                    all.add(new Problem.FieldError(pointer, "unknown_segment", "no segment with key '" + key + "'"));
                }
            }
            if (!all.isEmpty()) {
                all.sort(Comparator.comparing(Problem.FieldError::pointer));
                throw ProblemException.validation(all);
            }
        }).replaceWithVoid();
    }

    /** Only called once validation passed, so no key is null. */
    private static List<String> distinct(List<String> segments) {
        return segments == null ? List.of() : List.copyOf(new LinkedHashSet<>(segments));
    }

    /** 32 random bytes, base64url: {@code whsec_} and 43 characters. */
    /** A secret the client chose must be a Standard Webhooks secret, so every verifier can load it. */
    private static void checkSecret(String secret, List<Problem.FieldError> errors) {
        boolean reported = errors.stream().anyMatch(e -> "/secret".equals(e.pointer()));
        if (secret != null && !reported && !WebhookSignature.validSecret(secret)) {
            errors.add(new Problem.FieldError("/secret", "invalid_secret",
                    "a secret is whsec_ followed by the standard base64 of 24 to 64 random bytes"));
        }
    }

    /** A Standard Webhooks secret: {@code whsec_} and the standard base64 of 32 random bytes. */
    static String newSecret() {
        byte[] key = new byte[32];
        RANDOM.nextBytes(key);
        return "whsec_" + Base64.getEncoder().encodeToString(key);
    }

    private static UUID deliveryId(String id) {
        try {
            return UUID.fromString(id);
        } catch (IllegalArgumentException e) {
            throw deliveryNotFound(id);
        }
    }

    static ProblemException notFound(long id) {
        return ProblemException.notFound("Webhook " + id);
    }

    private static ProblemException deliveryNotFound(String id) {
        return ProblemException.notFound("Delivery " + id);
    }
}
