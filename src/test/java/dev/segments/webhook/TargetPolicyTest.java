package dev.segments.webhook;

import dev.segments.webhook.service.HostResolver;
import dev.segments.webhook.service.TargetPolicy;
import dev.segments.webhook.service.TargetPolicy.Literal;
import dev.segments.webhook.service.TargetPolicy.Name;
import dev.segments.webhook.service.TargetPolicy.Refusal;
import dev.segments.webhook.service.TargetPolicy.Refused;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.net.InetAddress;
import java.net.URI;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Which webhook URLs and addresses are refused, without any network (plain JUnit). */
class TargetPolicyTest {

    /** Production defaults: https only, nothing private allowed. */
    static final TargetPolicy STRICT = new TargetPolicy(false, List.of());
    /** What tests run with: http allowed, 127.0.0.1 allowed. */
    static final TargetPolicy TEST = new TargetPolicy(true, List.of("127.0.0.1/32"));

    static Refusal refusal(TargetPolicy policy, String url) {
        return assertThrows(Refused.class, () -> policy.check(new URI(url)), url).reason();
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource({
            // the forms of the report (issue 12, item 6)
            "http://169.254.169.254/latest/meta-data/, NON_PUBLIC_ADDRESS",
            "http://10.0.0.1/, NON_PUBLIC_ADDRESS",
            "http://localhost:5432/, SPECIAL_NAME",
            "http://[::1]:5432/, NON_PUBLIC_ADDRESS",
            "http://2130706433/, NUMERIC_FORM",
            "http://0x7f000001/, NUMERIC_FORM",
            "http://metadata.google.internal/, SPECIAL_NAME",
            "http://[fd00:ec2::254]/, NON_PUBLIC_ADDRESS",
            "http://192.168.0.1/, NON_PUBLIC_ADDRESS",
            "http://172.16.0.1/, NON_PUBLIC_ADDRESS",
            "http://172.31.255.255/, NON_PUBLIC_ADDRESS",
            "http://0.0.0.0/, NON_PUBLIC_ADDRESS",
            "http://[::ffff:127.0.0.1]/, EMBEDDED_IPV4",
            "http://100.64.0.1/, NON_PUBLIC_ADDRESS",
            "http://100.127.255.254/, NON_PUBLIC_ADDRESS",
            "http://224.0.0.1/, NON_PUBLIC_ADDRESS",
            "http://[ff02::1]/, NON_PUBLIC_ADDRESS",
            // more numeric IPv4 notations: octal, short, hex per part, trailing dot
            "http://0177.0.0.1/, NUMERIC_FORM",
            "http://127.1/, NUMERIC_FORM",
            "http://127.0.1/, NUMERIC_FORM",
            "http://0x7f.0.0.1/, NUMERIC_FORM",
            "http://017700000001/, NUMERIC_FORM",
            "http://1.2.3.4.5/, NUMERIC_FORM",
            "http://256.1.1.1/, NUMERIC_FORM",
            "http://example.123/, NUMERIC_FORM",
            "http://127.0.0.1./, NO_HOST",
            // IPv6 carrying IPv4: mapped (both notations), compatible, NAT64, 6to4, Teredo; zone ids; unspecified
            "http://[::ffff:7f00:1]/, EMBEDDED_IPV4",
            "http://[0:0:0:0:0:ffff:a00:1]/, EMBEDDED_IPV4",
            "http://[::127.0.0.1]/, EMBEDDED_IPV4",
            "http://[::7f00:1]/, NON_PUBLIC_ADDRESS",
            "http://[64:ff9b::a00:1]/, NON_PUBLIC_ADDRESS",
            "http://[64:ff9b::10.0.0.1]/, EMBEDDED_IPV4",
            "http://[64:ff9b:1::a00:1]/, NON_PUBLIC_ADDRESS",
            "http://[2002:7f00:1::]/, NON_PUBLIC_ADDRESS",
            "http://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/, NON_PUBLIC_ADDRESS",
            "http://[fe80::1%25eth0]/, ZONE_ID",
            "http://[fe80::1]/, NON_PUBLIC_ADDRESS",
            "http://[::]/, NON_PUBLIC_ADDRESS",
            "http://[2001:db8::1]/, NON_PUBLIC_ADDRESS",
            // other special-purpose IPv4
            "http://127.0.0.2/, NON_PUBLIC_ADDRESS",
            "http://192.0.0.192/, NON_PUBLIC_ADDRESS",
            "http://192.0.2.1/, NON_PUBLIC_ADDRESS",
            "http://198.18.0.1/, NON_PUBLIC_ADDRESS",
            "http://198.51.100.7/, NON_PUBLIC_ADDRESS",
            "http://203.0.113.9/, NON_PUBLIC_ADDRESS",
            "http://240.0.0.1/, NON_PUBLIC_ADDRESS",
            "http://255.255.255.255/, NON_PUBLIC_ADDRESS",
            // names that mean this machine or a metadata service
            "http://LOCALHOST/, SPECIAL_NAME",
            "http://localhost./, SPECIAL_NAME",
            "http://app.localhost/, SPECIAL_NAME",
            "http://metadata.google.internal./, SPECIAL_NAME",
            "http://metadata/, SPECIAL_NAME",
            "http://instance-data/, SPECIAL_NAME",
            // neither http nor https, credentials
            "ftp://example.com/, SCHEME",
            "file:///etc/passwd, SCHEME",
            "https://user:pw@example.com/, CREDENTIALS",
            "http://user@127.1/, CREDENTIALS",
    })
    void refusedEvenWithTheTestAllowlist(String url, Refusal expected) {
        assertEquals(expected, refusal(TEST, url));
        // the production defaults refuse them too (http ones as https_required first)
        Refusal strict = refusal(STRICT, url);
        assertTrue(strict == expected || strict == Refusal.HTTPS_REQUIRED, url + " " + strict);
    }

    @ParameterizedTest
    @ValueSource(strings = {"https://93.184.215.14/hook", "https://8.8.8.8:8443/x?y=1", "https://[2606:4700::1111]/",
            "https://example.com/hooks", "https://a.b.example.com./", "https://100.63.255.255/", "https://100.128.0.1/",
            "https://172.15.255.255/", "https://172.32.0.1/", "https://192.167.255.255/", "https://11.0.0.1/",
            "https://1.1.1.1/", "https://[2001:4860:4860::8888]/", "https://169.253.255.255/", "https://223.255.255.254/"})
    void publicTargetsPass(String url) throws Exception {
        var checked = STRICT.check(new URI(url));
        if (checked.host() instanceof Literal l) {
            assertTrue(TargetPolicy.isPublic(l.address()), url);
        } else {
            assertInstanceOf(Name.class, checked.host());
        }
        assertTrue(checked.https());
    }

    @Test
    void portsDefaultByScheme() throws Exception {
        assertEquals(443, STRICT.check(new URI("https://1.1.1.1/")).port());
        assertEquals(80, TEST.check(new URI("http://1.1.1.1/")).port());
        assertEquals(8443, STRICT.check(new URI("https://1.1.1.1:8443/")).port());
    }

    @Test
    void httpNeedsTheSetting() throws Exception {
        assertEquals(Refusal.HTTPS_REQUIRED, refusal(STRICT, "http://1.1.1.1/hook"));
        assertTrue(TEST.check(new URI("http://1.1.1.1/hook")).port() == 80);
    }

    @Test
    void theAllowlistAdmitsItsNetworksAndNamesOnly() throws Exception {
        TargetPolicy policy = new TargetPolicy(false, List.of("127.0.0.1/32", " 10.20.0.0/16 ", "[fd00:ec2::/32]",
                "Hooks.Internal", "::1"));
        assertInstanceOf(Literal.class, policy.check(new URI("https://127.0.0.1:8443/")).host());
        assertInstanceOf(Literal.class, policy.check(new URI("https://10.20.255.1/")).host());
        assertInstanceOf(Literal.class, policy.check(new URI("https://[fd00:ec2::254]/")).host());
        assertInstanceOf(Literal.class, policy.check(new URI("https://[::1]/")).host());
        assertEquals(Refusal.NON_PUBLIC_ADDRESS, refusal(policy, "https://127.0.0.2/"));
        assertEquals(Refusal.NON_PUBLIC_ADDRESS, refusal(policy, "https://10.21.0.1/"));
        assertEquals(Refusal.NON_PUBLIC_ADDRESS, refusal(policy, "https://[fd01::1]/"));
        // the notations stay refused even when the address they mean is allowed
        assertEquals(Refusal.NUMERIC_FORM, refusal(policy, "https://2130706433/"));
        assertEquals(Refusal.EMBEDDED_IPV4, refusal(policy, "https://[::ffff:127.0.0.1]/"));
        // a name: resolved addresses must all be allowed, unless the name itself is listed
        policy.checkResolved("hooks.internal", List.of(addr("192.168.1.1")));
        policy.checkResolved("public.example", List.of(addr("1.1.1.1"), addr("10.20.0.5")));
        assertEquals(Refusal.NON_PUBLIC_ADDRESS, assertThrows(Refused.class, () ->
                policy.checkResolved("public.example", List.of(addr("1.1.1.1"), addr("192.168.1.1")))).reason());
        assertEquals(Refusal.UNRESOLVED, assertThrows(Refused.class, () ->
                policy.checkResolved("nothing.example", List.of())).reason());
        // a listed name is exempt from the name rule too
        TargetPolicy local = new TargetPolicy(true, List.of("localhost"));
        assertInstanceOf(Name.class, local.check(new URI("http://localhost:3000/")).host());
    }

    @ParameterizedTest
    @ValueSource(strings = {"10.0.0.0/33", "::1/129", "10.0.0.0/x", "2130706433", "127.1", "not a host", "a..b", "::ffff:10.0.0.1"})
    void aBadAllowlistEntryFailsAtStart(String entry) {
        assertThrows(IllegalArgumentException.class, () -> new TargetPolicy(false, List.of(entry)));
    }

    @Test
    void everyResolvedAddressIsChecked() throws Exception {
        STRICT.checkResolved("ok.example", List.of(addr("1.1.1.1"), addr("2606:4700::1111")));
        for (String a : List.of("10.0.0.1", "127.0.0.1", "169.254.169.254", "fd00:ec2::254", "::1", "fe80::1",
                "100.64.0.1", "0.0.0.0", "::7f00:1", "64:ff9b::a00:1")) {
            assertEquals(Refusal.NON_PUBLIC_ADDRESS, assertThrows(Refused.class, () ->
                    STRICT.checkResolved("rebound.example", List.of(addr("1.1.1.1"), addr(a)))).reason(), a);
        }
    }

    @Test
    void theSystemResolverReadsTheHostsFile() throws Exception {
        // "localhost" comes from the hosts file: no DNS query
        List<InetAddress> addresses = new HostResolver().resolve("localhost");
        assertFalse(addresses.isEmpty());
        assertTrue(addresses.stream().allMatch(InetAddress::isLoopbackAddress));
        assertTrue(addresses.stream().noneMatch(TargetPolicy::isPublic));
    }

    static InetAddress addr(String literal) throws Exception {
        return InetAddress.getByName(literal.contains(":") ? "[" + literal + "]" : literal);
    }
}
