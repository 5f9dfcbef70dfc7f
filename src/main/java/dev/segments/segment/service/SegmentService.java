package dev.segments.segment.service;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.segments.common.error.ProblemException;
import dev.segments.common.error.ProblemType;
import dev.segments.common.error.Violations;
import dev.segments.rule.RuleNode;
import dev.segments.rule.RuleParser;
import dev.segments.segment.SegmentKind;
import dev.segments.segment.SegmentTier;
import dev.segments.segment.SegmentDtos.MembersChange;
import dev.segments.segment.SegmentDtos.MembersChangeResult;
import dev.segments.segment.SegmentDtos.SegmentInput;
import dev.segments.segment.SegmentDtos.SegmentView;
import dev.segments.segment.persistence.SegmentRepository;
import dev.segments.segment.persistence.SegmentRow;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.validation.Validator;

import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;

/** Segment definitions: create, read, replace (with optimistic concurrency), delete, static members. */
@ApplicationScoped
public class SegmentService {

    /** Keys a new segment cannot take: GET /segments/{key} would be another endpoint (GET /segments/overlap). */
    public static final java.util.Set<String> RESERVED_KEYS = java.util.Set.of("overlap");

    private final SegmentRepository repository;
    private final TenantRulesLoader rulesLoader;
    private final MembershipService membership;
    private final Validator validator;
    private final ObjectMapper mapper;
    private final RuleParser parser = new RuleParser();

    SegmentService(SegmentRepository repository, TenantRulesLoader rulesLoader, MembershipService membership,
                   Validator validator, ObjectMapper mapper) {
        this.repository = repository;
        this.rulesLoader = rulesLoader;
        this.membership = membership;
        this.validator = validator;
        this.mapper = mapper;
    }

    /** The tenant's field catalog and segments, for checking and compiling rules. */
    public Uni<TenantRules> rules(long tenantId) {
        return rulesLoader.load(tenantId);
    }

    public Uni<SegmentView> create(long tenantId, SegmentInput input) {
        SegmentKind kind = validate(input, SegmentKind.DYNAMIC);
        if (RESERVED_KEYS.contains(input.key())) {
            throw ProblemException.validation("/key", "reserved", "'" + input.key()
                    + "' is reserved: GET /segments/" + input.key() + " is another endpoint; choose another key");
        }
        return rules(tenantId).chain(rules -> {
            String rule = kind == SegmentKind.DYNAMIC
                    ? checkedRule(rules, input.rule(), input.ruleFormat(), input.key()) : null;
            return repository.insert(tenantId, input.key(), input.name(), input.description(), kind, rule,
                    tier(input), tags(input));
        }).map(row -> view(row.orElseThrow(() -> new ProblemException(ProblemType.CONFLICT,
                "A segment with key '" + input.key() + "' already exists"))))
                .call(s -> s.rule() == null ? Uni.createFrom().voidItem() : membership.ruleSaved(tenantId, s.key()));
    }

    public Uni<List<SegmentView>> list(long tenantId, String tag) {
        return repository.listAll(tenantId).map(rows -> rows.stream()
                .filter(r -> tag == null || r.tags().contains(tag)).map(this::view).toList());
    }

    public Uni<SegmentRow> row(long tenantId, String key) {
        return repository.find(tenantId, key).map(r -> r.orElseThrow(() -> notFound(key)));
    }

    public Uni<SegmentView> get(long tenantId, String key) {
        return row(tenantId, key).map(this::view);
    }

    /** Replaces name, description, rule, tier and tags; key and kind never change. */
    public Uni<SegmentView> replace(long tenantId, String key, SegmentInput input, Long expectedVersion) {
        if (input.key() != null && !input.key().equals(key)) {
            throw ProblemException.validation("/key", "immutable", "the key of a segment cannot change");
        }
        SegmentInput in = new SegmentInput(key, input.name(), input.description(), input.kind(), input.rule(),
                input.ruleFormat(), input.tier(), input.tags());
        return row(tenantId, key).chain(current -> {
            if (in.kind() != null && !in.kind().equals(current.kind().wire())) {
                return Uni.createFrom().failure(ProblemException.validation("/kind", "immutable",
                        "the kind of a segment cannot change; create a new segment"));
            }
            validate(in, current.kind());
            if (expectedVersion != null && expectedVersion != current.version()) {
                return Uni.createFrom().failure(stale(key));
            }
            return rules(tenantId).chain(rules -> {
                String rule = current.isStatic() ? null : checkedRule(rules, in.rule(), in.ruleFormat(), key);
                return repository.update(tenantId, key, in.name(), in.description(), rule, tier(in), tags(in),
                        expectedVersion == null ? current.version() : expectedVersion);
            }).map(row -> view(row.orElseThrow(() -> stale(key))))
                    .call(s -> s.rule() == null ? Uni.createFrom().voidItem() : membership.ruleSaved(tenantId, key));
        });
    }

    /** A saved segment's rule in words; 409 for a static segment (it has no rule). */
    public Uni<String> ruleText(long tenantId, String key) {
        return get(tenantId, key).chain(s -> {
            if (s.rule() == null) {
                return Uni.createFrom().failure(new ProblemException(ProblemType.CONFLICT,
                        "Segment '" + key + "' is static: it has no rule"));
            }
            return rules(tenantId).map(rules -> rules.text(s.rule()));
        });
    }

    /** An unsaved rule in words, after checking it like any rule (422 listing every problem). */
    public Uni<String> ruleText(long tenantId, JsonNode rule, dev.segments.rule.format.RuleFormat format) {
        if (rule == null || rule.isNull() || rule.isMissingNode()) {
            throw ProblemException.validation("/rule", "required", "a rule is required");
        }
        return rules(tenantId).map(rules -> rules.text(rules.check(rule, format, null).validated().node()));
    }

    /** Deletes a segment no other segment refers to. */
    public Uni<Void> delete(long tenantId, String key, Long expectedVersion) {
        return rules(tenantId).chain(rules -> {
            if (!rules.segments().containsKey(key)) {
                return Uni.createFrom().failure(notFound(key));
            }
            List<String> users = new ArrayList<>();
            rules.segments().values().forEach(s -> {
                if (!s.isStatic() && !s.key().equals(key) && references(s, key)) {
                    users.add(s.key());
                }
            });
            if (!users.isEmpty()) {
                return Uni.createFrom().failure(new ProblemException(ProblemType.CONFLICT,
                        "Segment '" + key + "' is referenced by " + String.join(", ", users) + "; change those first"));
            }
            // the due column is left as it is: the deleted segment's instants are early for the remaining ones,
            // and the tick replaces them as they come due (docs/live-membership.md, "Time events")
            return repository.delete(tenantId, key, expectedVersion).chain(deleted -> deleted
                    ? Uni.createFrom().voidItem() : Uni.createFrom().failure(stale(key)));
        });
    }

    public Uni<MembersChangeResult> changeMembers(long tenantId, String key, MembersChange change, boolean add) {
        List<Long> ids = change == null || change.customerIds() == null ? List.of() : change.customerIds();
        List<String> externalIds = change == null || change.externalIds() == null ? List.of() : change.externalIds();
        if (ids.isEmpty() && externalIds.isEmpty()) {
            throw ProblemException.validation("/customerIds", "required", "give customerIds or externalIds");
        }
        if (ids.size() + externalIds.size() > 10_000) {
            throw ProblemException.validation("/customerIds", "too_many_items", "at most 10,000 customers per change");
        }
        return row(tenantId, key).chain(segment -> {
            if (!segment.isStatic()) {
                return Uni.createFrom().failure(new ProblemException(ProblemType.CONFLICT,
                        "Segment '" + key + "' is dynamic: its members come from its rule"));
            }
            Uni<Integer> changed = membership.staticEdit(tenantId, segment.id(), add, conn -> add
                    ? repository.addMembers(conn, tenantId, segment.id(), ids, externalIds)
                    : repository.removeMembers(conn, tenantId, segment.id(), ids, externalIds)).map(List::size);
            return changed.chain(n -> repository.knownCustomers(tenantId, ids, externalIds).map(known -> {
                List<String> unknown = new ArrayList<>();
                ids.stream().filter(id -> !known.contains(id)).forEach(id -> unknown.add(String.valueOf(id)));
                externalIds.stream().filter(e -> !known.contains(e)).forEach(unknown::add);
                return new MembersChangeResult(n, unknown);
            }));
        });
    }

    private boolean references(SegmentRow segment, String key) {
        RuleNode node = parser.parse(segment.rule());
        return mentions(node, key);
    }

    private static boolean mentions(RuleNode node, String key) {
        return switch (node) {
            case RuleNode.Group g -> g.children().stream().anyMatch(c -> mentions(c, key));
            case RuleNode.Not n -> mentions(n.child(), key);
            case RuleNode.SegmentRef r -> r.key().equals(key);
            case RuleNode.Condition c -> false;
            case RuleNode.Aggregate a -> false;
        };
    }

    /** The rule checked and translated to the native language, as stored. */
    private String checkedRule(TenantRules rules, JsonNode rule, String format, String key) {
        if (rule == null || rule.isNull()) {
            throw ProblemException.validation("/rule", "required", "a dynamic segment needs a rule");
        }
        JsonNode checked = rules.check(rule, TenantRules.format(format, "/ruleFormat"), key).rule();
        try {
            return mapper.writeValueAsString(checked);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Checks the input and returns its kind (the given one when the input names none). */
    private SegmentKind validate(SegmentInput input, SegmentKind otherwise) {
        var errors = new ArrayList<>(Violations.toErrors(validator.validate(input), ""));
        SegmentKind kind = input.kind() == null || errors.stream().anyMatch(e -> "/kind".equals(e.pointer()))
                ? otherwise : SegmentKind.of(input.kind());
        if (kind == SegmentKind.STATIC && input.rule() != null && !input.rule().isNull()) {
            errors.add(new dev.segments.common.error.Problem.FieldError("/rule", "not_allowed",
                    "a static segment has no rule; add members with POST /segments/{key}/members"));
        }
        if (!errors.isEmpty()) {
            throw ProblemException.validation(errors);
        }
        return kind;
    }

    public SegmentView view(SegmentRow r) {
        try {
            return new SegmentView(r.id(), r.key(), r.name(), r.description(), r.kind().wire(),
                    r.rule() == null ? null : mapper.readTree(r.rule()), r.tier().wire(), r.tags(), r.createdAt(),
                    r.updatedAt(), r.version());
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static SegmentTier tier(SegmentInput in) {
        return in.tier() == null ? SegmentTier.PRIMARY : SegmentTier.of(in.tier());
    }

    private static List<String> tags(SegmentInput in) {
        return in.tags() == null ? List.of() : List.copyOf(new LinkedHashSet<>(in.tags()));
    }

    static ProblemException notFound(String key) {
        return ProblemException.notFound("Segment '" + key + "'");
    }

    private static ProblemException stale(String key) {
        return new ProblemException(ProblemType.PRECONDITION_FAILED,
                "Segment '" + key + "' has changed since the version in If-Match; fetch it again and retry");
    }
}
