package dev.segments.client;

import dev.segments.generated.client.ApiClient;
import dev.segments.generated.client.ApiException;
import dev.segments.generated.client.JSON;
import dev.segments.generated.client.api.CustomersApi;
import dev.segments.generated.client.api.PurchasesApi;
import dev.segments.generated.client.api.SegmentsApi;
import dev.segments.generated.client.model.AggregateRule;
import dev.segments.generated.client.model.AndRule;
import dev.segments.generated.client.model.ConditionRule;
import dev.segments.generated.client.model.Customer;
import dev.segments.generated.client.model.CustomerInput;
import dev.segments.generated.client.model.CustomerPatch;
import dev.segments.generated.client.model.CustomerSegment;
import dev.segments.generated.client.model.MemberPage;
import dev.segments.generated.client.model.NotRule;
import dev.segments.generated.client.model.OrRule;
import dev.segments.generated.client.model.PreviewRequest;
import dev.segments.generated.client.model.Problem;
import dev.segments.generated.client.model.PurchaseInput;
import dev.segments.generated.client.model.QueryBuilderItem;
import dev.segments.generated.client.model.QueryBuilderQuery;
import dev.segments.generated.client.model.QueryBuilderRule;
import dev.segments.generated.client.model.RefreshResult;
import dev.segments.generated.client.model.Rule;
import dev.segments.generated.client.model.RuleDocument;
import dev.segments.generated.client.model.RuleOperator;
import dev.segments.generated.client.model.Segment;
import dev.segments.generated.client.model.SegmentInput;
import dev.segments.support.Api;
import dev.segments.support.EmbeddedPostgresResource;
import dev.segments.support.Node;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.containsInAnyOrder;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.hasSize;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.startsWith;

/**
 * The integrator's scenario with nothing but the Java client openapi-generator makes from the committed spec with
 * its defaults (library okhttp-gson), generated and compiled by Maven (pom.xml, generate-test-sources): every call
 * goes through the generated APIs and models, none through REST Assured (issue 13).
 */
@QuarkusTest
@WithTestResource(EmbeddedPostgresResource.class)
class GeneratedJavaClientTest {

    @Test
    void integratorScenario() throws ApiException {
        ApiClient client = new ApiClient().setBasePath(Node.serviceUrl());
        client.setBearerToken(Api.newTenant());
        CustomersApi customers = new CustomersApi(client);
        PurchasesApi purchases = new PurchasesApi(client);
        SegmentsApi segments = new SegmentsApi(client);

        // customers and purchases
        Map<String, Long> ids = new HashMap<>();
        record Profile(String externalId, String region, String city, List<String> tags, int... amounts) {
        }
        List<Profile> profiles = List.of(
                new Profile("c1", "North", "Omsk", List.of("b2b"), 100, 100),  // spend 200
                new Profile("c2", "North", "Kazan", List.of("b2b"), 100),      // Kazan
                new Profile("c3", "North", "Omsk", List.of("b2b"), 100),       // neither: out
                new Profile("c4", "North", "Kazan", List.of("b2b", "blocked"), 200), // blocked: out
                new Profile("c5", "South", "Kazan", List.of("b2b"), 300),      // South: out
                new Profile("c6", "North", "Kazan", List.of()),                // Kazan, no purchase
                new Profile("c7", "North", "Omsk", List.of("b2b"), 500));     // spend 500
        OffsetDateTime when = OffsetDateTime.now().minusDays(3);
        for (Profile p : profiles) {
            Customer c = customers.createCustomer(new CustomerInput().externalId(p.externalId()).name("Customer " + p.externalId())
                    .region(p.region()).city(p.city()).tags(p.tags()), null);
            assertThat(c.getExternalId(), equalTo(p.externalId()));
            assertThat(c.getTags(), equalTo(p.tags()));
            ids.put(p.externalId(), c.getId());
            for (int amount : p.amounts()) {
                var purchase = purchases.recordPurchase(new PurchaseInput().customerId(c.getId())
                        .occurredAt(when).amount(BigDecimal.valueOf(amount)).currency("EUR"), null);
                assertThat(purchase.getCustomerId(), equalTo(c.getId()));
            }
        }
        assertThat(customers.getCustomer(ids.get("c1")).getRollups().getPurchaseCount(), is(2));

        // a segment: North and (spend >= 150 or city Kazan) and not tagged blocked
        Rule rule = new Rule(new AndRule().and(List.of(
                condition("region", RuleOperator.EQ, "North"),
                new Rule(new OrRule().or(List.of(
                        new Rule(new AggregateRule().aggregate(AggregateRule.AggregateEnum.SUM)
                                .of(AggregateRule.OfEnum.PURCHASES).field("amount").op(RuleOperator.GTE).value(150)),
                        condition("city", RuleOperator.EQ, "Kazan")))),
                new Rule(new NotRule().not(condition("tags", RuleOperator.HAS_ANY, List.of("blocked")))))));
        Segment segment = segments.createSegment(new SegmentInput().key("north-buyers").name("North buyers")
                .rule(new RuleDocument(rule)).tags(List.of("generated-client")), null);
        assertThat(segment.getKey(), equalTo("north-buyers"));
        assertThat(segment.getRule().getActualInstance(), is(org.hamcrest.Matchers.instanceOf(AndRule.class)));
        Set<Long> expected = new TreeSet<>(List.of(ids.get("c1"), ids.get("c2"), ids.get("c6"), ids.get("c7")));

        // preview the same rule unsaved
        var preview = segments.previewSegment(new PreviewRequest().rule(new RuleDocument(rule)).sampleSize(2), null, null);
        assertThat(preview.getCount(), is(4L));
        assertThat(preview.getSample(), hasSize(2));

        // every member, page by page
        Set<Long> members = new TreeSet<>();
        List<Integer> pageSizes = new ArrayList<>();
        String after = null;
        do {
            MemberPage page = segments.listSegmentMembers("north-buyers", after, null, null, null, 3);
            page.getItems().forEach(m -> members.add(m.getId()));
            pageSizes.add(page.getItems().size());
            after = page.getNextCursor();
        } while (after != null);
        assertThat(members, equalTo(expected));
        assertThat(pageSizes, contains(3, 1));

        // the segments of one customer
        List<CustomerSegment> ofC2 = customers.listCustomerSegments(ids.get("c2"), null);
        assertThat(ofC2.stream().map(CustomerSegment::getKey).toList(), hasItem("north-buyers"));
        assertThat(customers.listCustomerSegments(ids.get("c3"), null).stream().map(CustomerSegment::getKey).toList(),
                not(hasItem("north-buyers")));

        // the CSV export
        String csv = segments.exportSegmentMembers("north-buyers", null);
        List<String> lines = csv.lines().filter(l -> !l.isBlank()).toList();
        assertThat(lines, hasSize(5));
        assertThat(lines.get(0), startsWith("id,"));
        assertThat(lines.stream().skip(1).map(l -> Long.parseLong(l.substring(0, l.indexOf(',')))).toList(),
                containsInAnyOrder(expected.toArray(Long[]::new)));

        // an invalid rule is a problem with a pointer
        ApiException invalid = org.junit.jupiter.api.Assertions.assertThrows(ApiException.class,
                () -> segments.createSegment(new SegmentInput().key("broken").name("Broken")
                        .rule(new RuleDocument(condition("totalSpend", RuleOperator.CONTAINS, "x"))), null));
        assertThat(invalid.getCode(), is(422));
        assertThat(invalid.getResponseHeaders().get("Content-Type").get(0), startsWith("application/problem+json"));
        Problem problem = JSON.getGson().fromJson(invalid.getResponseBody(), Problem.class);
        assertThat(problem.getType(), equalTo("/problems/invalid-rule"));
        assertThat(problem.getErrors().get(0).getPointer(), equalTo("/op"));
        assertThat(problem.getErrors().get(0).getCode(), equalTo("operator_not_allowed"));

        // a react-querybuilder query (its standard operators only): North and not (Omsk or South)
        QueryBuilderQuery query = new QueryBuilderQuery().combinator("and").rules(List.of(
                new QueryBuilderItem(new QueryBuilderRule().field("region").operator("=").value("North")),
                new QueryBuilderItem(new QueryBuilderQuery().not(true).combinator("or").rules(List.of(
                        new QueryBuilderItem(new QueryBuilderRule().field("city").operator("=").value("Omsk")),
                        new QueryBuilderItem(new QueryBuilderRule().field("region").operator("=").value("South")))))));
        Segment kazan = segments.createSegment(new SegmentInput().key("north-kazan").name("North Kazan")
                .rule(new RuleDocument(query)).ruleFormat(SegmentInput.RuleFormatEnum.QUERYBUILDER), null);
        assertThat(kazan.getRule().getActualInstance(), is(org.hamcrest.Matchers.instanceOf(AndRule.class)));
        assertThat(segments.countSegmentMembers("north-kazan", null).getCount(), is(3L)); // c2, c4, c6

        // a merge patch of one field keeps the lists
        Customer before = customers.getCustomer(ids.get("c1"));
        Customer patched = customers.updateCustomer(ids.get("c1"), new CustomerPatch().region("South"), null);
        assertThat(patched.getRegion(), equalTo("South"));
        assertThat(patched.getTags(), equalTo(List.of("b2b")));
        assertThat(patched.getName(), equalTo(before.getName()));
        assertThat(patched.getCity(), equalTo("Omsk"));
        assertThat(patched.getVersion(), greaterThan(before.getVersion()));
        assertThat(segments.countSegmentMembers("north-buyers", null).getCount(), is(3L));

        // every dynamic segment evaluated in full at once: nothing stale after the writes above
        List<RefreshResult> refreshed = segments.refreshAllSegments(null);
        assertThat(refreshed.stream().map(RefreshResult::getSegment).toList(), containsInAnyOrder("north-buyers", "north-kazan"));
        assertThat(refreshed.stream().mapToLong(r -> r.getEntered() + r.getExited()).sum(), is(0L));
        assertThat(refreshed.stream().filter(r -> r.getSegment().equals("north-buyers")).findFirst().orElseThrow()
                .getFreshness().getMemberCount(), is(3L));
    }

    private static Rule condition(String field, RuleOperator op, Object value) {
        return new Rule(new ConditionRule().field(field).op(op).value(value));
    }
}
