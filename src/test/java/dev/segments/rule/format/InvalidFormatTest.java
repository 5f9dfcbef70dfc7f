package dev.segments.rule.format;

import com.fasterxml.jackson.databind.JsonNode;
import dev.segments.rule.InvalidRuleException;
import dev.segments.rule.RuleError;
import dev.segments.rule.RuleNode;
import dev.segments.rule.RuleParser;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static dev.segments.rule.format.Fixtures.CATALOG;
import static dev.segments.rule.format.Fixtures.PARSER;
import static dev.segments.rule.format.Fixtures.VALIDATOR;
import static dev.segments.rule.format.Fixtures.j;
import static dev.segments.rule.format.Fixtures.translationErrors;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Shapes that cannot be translated: every problem, each with a pointer into the submitted document and a code. */
class InvalidFormatTest {

    static final String R = "{'field':'name','operator':'=','value':'x'}";

    static Arguments rqb(String json, String... expected) {
        return Arguments.of(RuleFormat.QUERY_BUILDER, json, List.of(expected));
    }

    static Arguments jl(String json, String... expected) {
        return Arguments.of(RuleFormat.JSON_LOGIC, json, List.of(expected));
    }

    static Stream<Arguments> cases() {
        return Stream.of(
                rqb("[]", " invalid_format"),
                rqb("null", " invalid_format"),
                rqb("{'combinator':'and'}", " invalid_format"),
                rqb(R, " invalid_format"),
                rqb("{'combinator':'and','rules':{}}", "/rules invalid_format"),
                rqb("{'combinator':'and','rules':[]}", "/rules empty_group"),
                rqb("{'combinator':'and','rules':[" + R + ",{'combinator':'or','rules':[]}]}", "/rules/1/rules empty_group"),
                rqb("{'combinator':'xor','rules':[" + R + "," + R + "]}", "/combinator unsupported_combinator"),
                rqb("{'combinator':1,'rules':[" + R + "," + R + "]}", "/combinator invalid_format"),
                rqb("{'rules':[" + R + "," + R + "]}", " missing_key"),
                rqb("{'combinator':'and','not':'yes','rules':[" + R + "]}", "/not invalid_format"),
                rqb("{'combinator':'and','rules':[5]}", "/rules/0 invalid_format"),
                rqb("{'combinator':'and','rules':[{'operator':'=','value':1}]}", "/rules/0 invalid_format"),
                rqb("{'combinator':'and','rules':[{'field':'name','value':1}]}", "/rules/0 missing_key"),
                rqb("{'combinator':'and','rules':[{'field':'','operator':'=','value':1}]}", "/rules/0/field invalid_format"),
                rqb("{'combinator':'and','rules':[{'field':'name','operator':'like','value':'x'}]}", "/rules/0/operator unsupported_operator"),
                rqb("{'combinator':'and','rules':[{'field':'name','operator':'=','value':'x','foo/bar':1}]}", "/rules/0/foo~1bar unknown_key"),
                rqb("{'combinator':'and','rules':[{'field':'name','operator':'=','value':'x','disabled':true}]}", "/rules/0/disabled unsupported_feature"),
                rqb("{'combinator':'and','rules':[{'field':'name','operator':'=','value':'x','valueSource':'other'}]}", "/rules/0/valueSource invalid_format"),
                rqb("{'combinator':'and','rules':[{'field':'name','operator':'in','value':'a,b','valueSource':'field'}]}", "/rules/0/valueSource unsupported_value"),
                rqb("{'combinator':'and','rules':[{'field':'name','operator':'=','value':5,'valueSource':'field'}]}", "/rules/0/value invalid_value"),
                rqb("{'combinator':'and','rules':[{'field':'$segment','operator':'=','value':5}]}", "/rules/0/value invalid_value"),
                rqb("{'combinator':'and','rules':[{'field':'$segment','operator':'in','value':'vip'}]}", "/rules/0/operator unsupported_operator"),
                rqb("{'combinator':'and','rules':[{'field':'$aggregate','operator':'=','value':'count'}]}", "/rules/0/value invalid_value"),
                rqb("{'combinator':'and','rules':[{'field':'$aggregate','operator':'=','value':{'field':'name','op':'eq','value':'x'}}]}",
                        "/rules/0/value invalid_value"),
                rqb("{'combinator':'and','rules':[{'field':'$aggregate','operator':'>','value':{'aggregate':'count','of':'purchases','op':'gt','value':1}}]}",
                        "/rules/0/operator unsupported_operator"),
                // independent combinators
                rqb("{'rules':[" + R + ",'and'," + R + ",'nand'," + R + "]}", "/rules/3 unsupported_combinator"),
                rqb("{'rules':[" + R + ",'and']}", "/rules/1 invalid_format"),
                rqb("{'rules':[" + R + "," + R + ",'and']}", "/rules/1 invalid_format", "/rules/2 invalid_format"),
                rqb("{'combinator':'and','rules':[" + R + ",'or'," + R + "]}", "/combinator invalid_format"),
                // several problems at once, in different places
                rqb("{'combinator':'and','rules':[{'combinator':'or','rules':[]},{'field':'name','operator':'like','value':'x'},"
                                + "{'field':'name','operator':'=','value':'x','disabled':true},{'combinator':'and','not':true,'rules':["
                                + "{'field':'$segment','operator':'=','value':null}]}]}",
                        "/rules/0/rules empty_group", "/rules/1/operator unsupported_operator", "/rules/2/disabled unsupported_feature",
                        "/rules/3/rules/0/value invalid_value"),

                jl("true", " invalid_format"),
                jl("'x'", " invalid_format"),
                jl("{}", " invalid_format"),
                jl("{'and':[],'or':[]}", " invalid_format"),
                jl("{'and':[]}", "/and empty_group"),
                jl("{'and':{'==':[{'var':'x'},1]}}", "/and invalid_format"),
                jl("{'if':[true,1,2]}", "/if unsupported_operator"),
                jl("{'var':'email'}", "/var unsupported_operator"),
                jl("{'all':[{'var':'tags'},{'==':[{'var':''},'a']}]}", "/all unsupported_operator"),
                jl("{'like':[{'var':'name'},'a%']}", "/like unsupported_operator"),
                jl("{'a/b~c':1}", "/a~1b~0c unsupported_operator"),
                jl("{'==':[{'var':['country','DE']},'DE']}", "/==/0/var/1 unsupported_value"),
                jl("{'==':[{'var':''},'DE']}", "/==/0/var unsupported_value"),
                jl("{'==':[{'var':1},'DE']}", "/==/0/var unsupported_value"),
                jl("{'==':[1,2]}", "/== unsupported_value"),
                jl("{'==':[{'var':'x'}]}", "/== invalid_format"),
                jl("{'>':[1,{'var':'x'},3]}", "/> invalid_format"),
                jl("{'==':{'var':'x'}}", "/== invalid_format"),
                jl("{'==':[{'var':'totalSpend'},{'+':[1,2]}]}", "/==/1 unsupported_value"),
                jl("{'<':[{'var':'totalSpend'},null]}", "/</1 invalid_value"),
                jl("{'<=':[1,{'var':'totalSpend'},{'var':'averageOrderValue'}]}", "/<=/2 unsupported_value"),
                jl("{'<=':[1,5,{'var':'totalSpend'}]}", "/<=/1 unsupported_value"),
                jl("{'in':[{'var':'name'},'abc']}", "/in unsupported_value"),
                jl("{'in':[{'var':'name'},[{'var':'x'}]]}", "/in/1/0 unsupported_value"),
                jl("{'!!':{'==':[{'var':'x'},1]}}", "/!! unsupported_value"),
                jl("{'!':[1,2]}", "/! invalid_format"),
                jl("{'some':[{'var':'tags'},{'==':[{'var':''},'a']}]}", "/some unsupported_value"),
                jl("{'segment':5}", "/segment invalid_value"),
                jl("{'aggregate':{'of':'purchases'}}", "/aggregate invalid_value"),
                jl("{'hasAny':[{'var':'tags'}]}", "/hasAny invalid_format"),
                jl("{'within':[{'var':'lastSeenAt'},null]}", "/within/1 invalid_value"),
                jl("{'isSet':['email']}", "/isSet/0 invalid_format"),
                jl("{'and':[{'a':1,'b':2},{'<':[{'var':'x'},null]},{'or':[{'==':[{'var':['y',0]},1]},{'xor':[1]}]}]}",
                        "/and/0 invalid_format", "/and/1/</1 invalid_value", "/and/2/or/0/==/0/var/1 unsupported_value",
                        "/and/2/or/1/xor unsupported_operator"));
    }

    @ParameterizedTest
    @MethodSource("cases")
    void rejected(RuleFormat format, String json, List<String> expected) {
        assertEquals(expected, translationErrors(format, j(json)));
    }

    @Test
    void hostileNestingIsBounded() {
        // (Jackson itself refuses documents nested deeper than 1000)
        String deep = "{'!':".repeat(900) + "{'var':'email'}" + "}".repeat(900);
        List<String> errors = translationErrors(RuleFormat.JSON_LOGIC, j(deep));
        assertEquals(1, errors.size());
        assertTrue(errors.get(0).endsWith(" too_deep"), errors.toString());
        String rqbDeep = "{'combinator':'and','rules':[".repeat(450) + R + "]}".repeat(450);
        assertTrue(translationErrors(RuleFormat.QUERY_BUILDER, j(rqbDeep)).get(0).endsWith(" too_deep"));
    }

    @Test
    void nativeFormatPassesThrough() {
        JsonNode n = j("{'field':'name','op':'eq','value':'x'}");
        assertEquals(n, RuleFormats.toNative(RuleFormat.NATIVE, n));
        assertThrows(InvalidRuleException.class, () -> RuleFormats.toNative(RuleFormat.NATIVE, null));
    }

    // ---------------------------------------------------------------- errors found later, mapped back

    /** Translate, parse and validate; every error as "pointer code", pointers into the submitted document. */
    static List<String> fullErrors(RuleFormat format, String json) {
        NativeTranslation t = RuleFormats.translate(format, j(json), CATALOG);
        List<RuleError> errors;
        try {
            RuleNode n = PARSER.parse(t.rule());
            errors = VALIDATOR.validate(n);
        } catch (InvalidRuleException e) {
            errors = e.errors();
        }
        return t.toSource(errors).stream().map(e -> e.pointer() + " " + e.code()).toList();
    }

    @Test
    void validatorErrorsPointIntoTheQueryBuilderDocument() {
        assertEquals(List.of("/rules/1/field unknown_field", "/rules/2/value invalid_value", "/rules/3/value/1 invalid_value",
                        "/rules/4/rules/0/operator operator_not_allowed", "/rules/5/value/where/field unknown_field",
                        "/rules/6 unknown_segment"),
                fullErrors(RuleFormat.QUERY_BUILDER, "{'combinator':'and','rules':["
                        + "{'field':'email','operator':'=','value':'x'},"
                        + "{'field':'nope','operator':'=','value':1},"
                        + "{'field':'totalSpend','operator':'in','value':'1,abc'},"
                        + "{'field':'tags','operator':'hasAny','value':['a',5]},"
                        + "{'combinator':'or','not':true,'rules':[{'field':'totalSpend','operator':'doesNotBeginWith','value':'1'}]},"
                        + "{'field':'$aggregate','operator':'=','value':{'aggregate':'count','of':'purchases','where':{'field':'nope','op':'isSet'},'op':'gt','value':1}},"
                        + "{'field':'$segment','operator':'=','value':'missing'}]}"));
        // errors of the native parser (which stops before validation) are mapped too
        assertEquals(List.of("/rules/0/rules/0 missing_key", "/rules/1/value/op unknown_operator"),
                fullErrors(RuleFormat.QUERY_BUILDER, "{'combinator':'and','rules':[{'combinator':'and','rules':["
                        + "{'field':'email','operator':'='}]},{'field':'$aggregate','operator':'=','value':"
                        + "{'aggregate':'count','of':'purchases','op':'more','value':1}}]}"));
        // a root group with one rule: the rule is the native root
        assertEquals(List.of("/rules/0/field unknown_field"),
                fullErrors(RuleFormat.QUERY_BUILDER, "{'combinator':'and','rules':[{'field':'nope','operator':'=','value':1}]}"));
        // independent combinators
        assertEquals(List.of("/rules/2/field unknown_field", "/rules/4/value invalid_value"),
                fullErrors(RuleFormat.QUERY_BUILDER, "{'rules':[{'field':'email','operator':'notNull'},'and',"
                        + "{'field':'nope','operator':'notNull'},'or',{'field':'age','operator':'>','value':'x'}]}"));
    }

    // ---------------------------------------------------------------- translation and validation errors together

    /** Translate all that translates, check the parts natively; every error as "pointer code", in document order. */
    static List<String> allErrors(RuleFormat format, String json) {
        NativeTranslation t = RuleFormats.translateAll(format, j(json), CATALOG);
        return t.allErrors(part -> {
            RuleParser.Parsed p = PARSER.parseAll(part);
            List<RuleError> errors = new ArrayList<>(p.errors());
            if (p.rule() != null) errors.addAll(VALIDATOR.validate(p.rule()));
            return errors;
        }).stream().map(e -> e.pointer() + " " + e.code()).toList();
    }

    @Test
    void aTranslationErrorHidesNoOtherErrorInAQueryBuilderDocument() {
        // the case: an xor group over an unknown field reports both
        assertEquals(List.of("/combinator unsupported_combinator", "/rules/0/field unknown_field"),
                allErrors(RuleFormat.QUERY_BUILDER, "{'combinator':'xor','rules':[{'field':'nope','operator':'=','value':1},"
                        + "{'field':'email','operator':'notNull'}]}"));
        // one of each kind in separate branches, translation and validation errors interleaved in document order
        assertEquals(List.of("/rules/0/combinator unsupported_combinator", "/rules/0/rules/0/field unknown_field",
                        "/rules/1/operator unsupported_operator", "/rules/2/value invalid_value", "/rules/3/field unknown_field",
                        "/rules/4/rules/0/value invalid_value", "/rules/4/rules/1/value invalid_value",
                        "/rules/4/rules/2/rules/0/field unknown_field"),
                allErrors(RuleFormat.QUERY_BUILDER, "{'combinator':'and','rules':["
                        + "{'combinator':'xor','rules':[{'field':'nope','operator':'=','value':1},{'field':'email','operator':'notNull'}]},"
                        + "{'field':'name','operator':'like','value':'x'},"
                        + "{'field':'totalSpend','operator':'>','value':'abc'},"
                        + "{'field':'nope','operator':'=','value':1},"
                        + "{'combinator':'or','rules':[{'field':'name','operator':'=','value':5,'valueSource':'field'},"
                        + "{'field':'totalSpend','operator':'between','value':'1,x'},"
                        + "{'combinator':'and','not':true,'rules':[{'field':'nope','operator':'notNull'}]}]}]}"));
        // a rule built despite a translation error (an unknown key) is still validated
        assertEquals(List.of("/rules/0/field unknown_field", "/rules/0/foo unknown_key"),
                allErrors(RuleFormat.QUERY_BUILDER, "{'combinator':'and','rules':[{'field':'nope','operator':'=','value':1,'foo':1}]}"));
        // independent combinators: the chain around a bad combinator is still validated
        assertEquals(List.of("/rules/0/field unknown_field", "/rules/1 unsupported_combinator", "/rules/4/value invalid_value"),
                allErrors(RuleFormat.QUERY_BUILDER, "{'rules':[{'field':'nope','operator':'notNull'},'nand',"
                        + "{'field':'email','operator':'notNull'},'or',{'field':'age','operator':'>','value':'x'}]}"));
        // more than ten rules: document order, not string order, of the pointers
        StringBuilder many = new StringBuilder("{'combinator':'xor','rules':[");
        for (int i = 0; i < 12; i++) many.append(i == 0 ? "" : ",").append("{'field':'nope").append(i).append("','operator':'notNull'}");
        List<String> errors = allErrors(RuleFormat.QUERY_BUILDER, many.append("]}").toString());
        assertEquals(13, errors.size(), errors.toString());
        assertEquals("/combinator unsupported_combinator", errors.get(0));
        for (int i = 0; i < 12; i++) assertEquals("/rules/" + i + "/field unknown_field", errors.get(i + 1));
        // a complete translation: the native errors, mapped
        assertEquals(List.of("/rules/0/field unknown_field"),
                allErrors(RuleFormat.QUERY_BUILDER, "{'combinator':'and','rules':[{'field':'nope','operator':'=','value':1}]}"));
        assertEquals(List.of(), allErrors(RuleFormat.QUERY_BUILDER, "{'combinator':'and','rules':[" + R + "]}"));
    }

    @Test
    void aTranslationErrorHidesNoOtherErrorInAJsonLogicDocument() {
        assertEquals(List.of("/and/0/xor unsupported_operator", "/and/1/==/0 unknown_field", "/and/2/like unsupported_operator",
                        "/and/3/>/1 invalid_value", "/and/4/or/0/</1 invalid_value", "/and/4/or/1/hasAny/1/1 invalid_value",
                        "/and/4/or/2/!/==/0/var/1 unsupported_value", "/and/4/or/3/!/0 unknown_field"),
                allErrors(RuleFormat.JSON_LOGIC, "{'and':["
                        + "{'xor':[{'==':[{'var':'nope'},1]},true]},"
                        + "{'==':[{'var':'nope'},1]},"
                        + "{'like':[{'var':'name'},'a%']},"
                        + "{'>':[{'var':'totalSpend'},'abc']},"
                        + "{'or':[{'<':[{'var':'totalSpend'},null]},{'hasAny':[{'var':'tags'},['a',1]]},"
                        + "{'!':{'==':[{'var':['y',0]},1]}},{'!':[{'var':'nope'}]}]}]}"));
        // translation errors only (nothing else translated)
        assertEquals(List.of("/if unsupported_operator"), allErrors(RuleFormat.JSON_LOGIC, "{'if':[true,1,2]}"));
    }

    @Test
    void validatorErrorsPointIntoTheJsonLogicDocument() {
        assertEquals(List.of("/and/0/==/0 unknown_field", "/and/1/<= invalid_value", "/and/2/aggregate/field unknown_field",
                        "/and/3/!/0 unknown_field", "/and/4/hasAny/1/1 invalid_value", "/and/5/>=/1 invalid_value",
                        "/and/6/</1 invalid_ref", "/and/7 unknown_segment"),
                fullErrors(RuleFormat.JSON_LOGIC, "{'and':["
                        + "{'==':[{'var':'nope'},1]},"
                        + "{'<=':[5,{'var':'totalSpend'},1]},"
                        + "{'aggregate':{'aggregate':'sum','of':'purchases','field':'nope','op':'gt','value':1}},"
                        + "{'!':[{'var':'nope'}]},"
                        + "{'hasAny':[{'var':'tags'},['a',1]]},"
                        + "{'>=':[{'var':'birthDate'},'1990-02-30']},"
                        + "{'<':[{'var':'totalSpend'},{'var':'tags'}]},"
                        + "{'segment':'missing'}]}"));
    }
}
