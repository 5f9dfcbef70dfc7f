package dev.segments.rule;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;

import static dev.segments.rule.Source.ANALYTICS;
import static dev.segments.rule.Source.EVENTS;
import static dev.segments.rule.Source.INTERACTIONS;
import static dev.segments.rule.Source.PROFILE;
import static dev.segments.rule.Source.PURCHASES;
import static dev.segments.rule.Source.STATIC_MEMBERS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The field catalog is the one table of field and stream facts: what a rule reads decides which writes refresh
 * it (RuleDependencies), which rollup answers an aggregate, and each stream's latest-row column. Unknown names
 * fail instead of falling back to a default.
 */
class FieldCatalogTest {

    static final FieldCatalog CATALOG = FieldCatalog.of(List.of(new AttributeDef("customer", "plan", "string"),
            new AttributeDef("purchase", "discount", "number"), new AttributeDef("interaction", "agent", "string")));
    static final Map<String, ResolvedSegment> SEGMENTS = Map.of(
            "list", new ResolvedSegment.Static(1),
            "buyers", new ResolvedSegment.Dynamic(new RuleParser().parse(
                    "{\"aggregate\":\"count\",\"of\":\"purchases\",\"within\":\"P7D\",\"op\":\"gte\",\"value\":1}")));
    static final SegmentResolver RESOLVER = k -> Optional.ofNullable(SEGMENTS.get(k));

    static RuleDependencies deps(String rule) {
        ValidatedRule v = new RuleValidator(CATALOG, RESOLVER).check(new RuleParser().parse(rule.replace('\'', '"')));
        return RuleDependencies.of(v, RESOLVER);
    }

    static Arguments d(String rule, Set<Source> sources, Duration window) {
        return Arguments.of(rule, sources, Optional.ofNullable(window));
    }

    static Stream<Arguments> dependencies() {
        return Stream.of(
                d("{'field':'region','op':'eq','value':'North'}", Set.of(PROFILE), null),
                d("{'field':'attributes.plan','op':'eq','value':'pro'}", Set.of(PROFILE), null),
                d("{'field':'age','op':'gte','value':18}", Set.of(PROFILE), Duration.ofDays(1)),
                // rollups change with their streams, not with the profile
                d("{'field':'purchaseCount','op':'gte','value':1}", Set.of(PURCHASES), null),
                d("{'field':'averageOrderValue','op':'gt','value':10}", Set.of(PURCHASES), null),
                d("{'field':'lastInteractionAt','op':'within','value':'P30D'}", Set.of(INTERACTIONS), Duration.ofDays(30)),
                d("{'field':'lastSeenAt','op':'isSet'}", Set.of(PURCHASES, INTERACTIONS, EVENTS), null),
                // analytics: RFM changes only with a run of the model; the activity status with every write and runs
                d("{'field':'rfm.segment','op':'eq','value':'champions'}", Set.of(ANALYTICS), null),
                d("{'field':'rfm.recency','op':'isNotSet'}", Set.of(ANALYTICS), null),
                d("{'field':'activityStatus','op':'in','value':['active','passive']}",
                        Set.of(PROFILE, PURCHASES, INTERACTIONS, EVENTS, ANALYTICS), null),
                // ABC ranks the whole base (runs); XYZ and abcXyz also follow purchase writes; the lead score every write
                d("{'field':'abcClass','op':'eq','value':'A'}", Set.of(ANALYTICS), null),
                d("{'field':'xyzClass','op':'in','value':['X','Y']}", Set.of(PURCHASES, ANALYTICS), null),
                d("{'field':'abcXyz','op':'eq','value':'AX'}", Set.of(PURCHASES, ANALYTICS), null),
                d("{'field':'leadScore','op':'gte','value':50}", Set.of(PROFILE, PURCHASES, INTERACTIONS, EVENTS, ANALYTICS), null),
                d("{'field':'leadTemperature','op':'eq','value':'hot'}",
                        Set.of(PROFILE, PURCHASES, INTERACTIONS, EVENTS, ANALYTICS), null),
                d("{'field':'valueQuadrant','op':'eq','value':'bigSoon'}", Set.of(ANALYTICS), null),
                // a ref reads a second customer field
                d("{'field':'createdAt','op':'before','value':{'ref':'lastPurchaseAt'}}", Set.of(PROFILE, PURCHASES), null),
                // an aggregate reads its stream; a ref in its where reads the customer field
                d("{'aggregate':'count','of':'events','where':{'field':'name','op':'eq','value':'x'},'op':'gte','value':1}",
                        Set.of(EVENTS), null),
                d("{'aggregate':'sum','of':'purchases','field':'attributes.discount','within':'PT12H','op':'gt','value':1}",
                        Set.of(PURCHASES), Duration.ofHours(12)),
                d("{'aggregate':'count','of':'interactions','where':{'field':'occurredAt','op':'before','value':"
                        + "{'ref':'updatedAt'}},'op':'gte','value':1}", Set.of(INTERACTIONS, PROFILE), null),
                // segments: static members, or the referenced rule's own dependencies
                d("{'and':[{'segment':'list'},{'segment':'buyers'}]}", Set.of(STATIC_MEMBERS, PURCHASES), Duration.ofDays(7)));
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @MethodSource("dependencies")
    void writesThatChangeARule(String rule, Set<Source> sources, Optional<Duration> window) {
        RuleDependencies deps = deps(rule);
        assertEquals(EnumSet.copyOf(sources), EnumSet.copyOf(deps.sources()));
        assertEquals(window, deps.shortestWindow());
    }

    @Test
    void everyFieldNamesTheWritesThatChangeIt() {
        for (FieldDef f : CATALOG.customerFields()) {
            assertFalse(f.changedBy().isEmpty(), f.name());
            assertFalse(f.changedBy().contains(STATIC_MEMBERS), f.name());
        }
        for (FieldCatalog.StreamDef s : CATALOG.streams()) {
            for (FieldDef f : s.fieldList()) {
                assertEquals(Set.of(s.source()), f.changedBy(), s.name() + "." + f.name());
            }
            assertEquals(Set.of(s.source()), s.field("properties.x").map(FieldDef::changedBy).orElse(Set.of(s.source())));
        }
        assertThrows(IllegalArgumentException.class, () -> new FieldDef("x", FieldType.STRING, "x", FieldDef.Words.of("x"), List.of(), true,
                new FieldDef.Column("c.x"), Set.of()));
    }

    /** Every field and stream can be said in words (rule/format/RuleText, reports): a label, nouns and verbs. */
    @Test
    void everyFieldAndStreamHasItsWords() {
        List<FieldDef> all = new java.util.ArrayList<>(CATALOG.customerFields());
        CATALOG.streams().forEach(s -> all.addAll(s.fieldList()));
        for (FieldDef f : all) {
            assertFalse(f.label().isBlank(), f.name());
            assertTrue(!f.words().hasVerb() || f.type().isTime() || f.type().isNumeric(), f.name() + ": a verb for a "
                    + "time field's within or a numeric stream field's sum");
        }
        assertEquals("loyalty level", FieldCatalog.words("loyalty_level"));
        assertEquals("loyalty level", FieldCatalog.words("loyaltyLevel"));
        assertEquals("plan", CATALOG.requireCustomerField("attributes.plan").label());
        for (FieldCatalog.StreamDef s : CATALOG.streams()) {
            assertTrue(s.words().kindField() == null || s.field(s.words().kindField()).isPresent(), s.name());
        }
    }

    @Test
    void rollupsAndLatestRowColumns() {
        FieldCatalog.StreamDef p = CATALOG.requireStream("purchases");
        assertEquals(Optional.of("c.purchase_count"), p.rollup(RuleNode.AggregateFn.COUNT, null));
        assertEquals(Optional.of("c.total_spend"), p.rollup(RuleNode.AggregateFn.SUM, "amount"));
        assertEquals(Optional.of("c.first_purchase_at"), p.rollup(RuleNode.AggregateFn.MIN, "occurredAt"));
        assertEquals(Optional.of("c.last_purchase_at"), p.latestColumn());
        assertEquals(Optional.empty(), p.rollup(RuleNode.AggregateFn.AVG, "amount"));
        assertEquals(Optional.of("c.last_interaction_at"), CATALOG.requireStream("interactions").latestColumn());
        assertEquals(Optional.empty(), CATALOG.requireStream("events").latestColumn());
        assertEquals(Optional.empty(), CATALOG.requireStream("events").rollup(RuleNode.AggregateFn.COUNT, null));
        for (FieldCatalog.StreamDef s : CATALOG.streams()) {
            assertTrue(s.occurredAtColumn().startsWith(s.alias() + "."), s.name());
        }
    }

    /** No fallbacks: a name the catalog does not have is a bug and fails loudly, never "profile" or "events". */
    @Test
    void unknownNamesThrow() {
        IllegalArgumentException stream = assertThrows(IllegalArgumentException.class, () -> CATALOG.requireStream("orders"));
        assertEquals("unknown stream 'orders'", stream.getMessage());
        IllegalArgumentException field = assertThrows(IllegalArgumentException.class,
                () -> CATALOG.requireCustomerField("rfmScore"));
        assertEquals("unknown customer field 'rfmScore'", field.getMessage());
        // a referenced segment whose rule names a field the catalog does not have (it changed after validation):
        // the dependencies fail instead of filing the field under the profile
        RuleParser parser = new RuleParser();
        ValidatedRule v = new RuleValidator(CATALOG, k -> Optional.of(new ResolvedSegment.Dynamic(
                parser.parse("{\"field\":\"region\",\"op\":\"eq\",\"value\":\"x\"}"))))
                .check(new RuleNode.SegmentRef("", "later"));
        SegmentResolver changed = k -> Optional.of(new ResolvedSegment.Dynamic(
                parser.parse("{\"field\":\"rfmScore\",\"op\":\"eq\",\"value\":1}")));
        assertEquals("unknown customer field 'rfmScore'",
                assertThrows(IllegalArgumentException.class, () -> RuleDependencies.of(v, changed)).getMessage());
    }
}
