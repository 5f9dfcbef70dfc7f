package dev.segments;

import com.tngtech.archunit.core.domain.Dependency;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.domain.JavaMethodCall;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import dev.segments.rule.sql.SqlQuery;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Predicate;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The rooms of docs/architecture.md, checked on the compiled classes (ArchUnit). Every rule holds without
 * exceptions; a new one that does not hold yet may freeze today's violations in an explicit list (a new violation
 * fails, and so does a frozen one that is gone), so such a list can only get shorter.
 */
class ArchitectureTest {

    static final JavaClasses MAIN = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("dev.segments");

    // ---------------------------------------------------------------- rule/: the language, plain Java

    @Test
    void ruleIsPlainJava() {
        classes().that().resideInAPackage("dev.segments.rule..")
                .should().onlyDependOnClassesThat().resideInAnyPackage("java..", "com.fasterxml.jackson..", "dev.segments.rule..")
                .because("rule/ is plain Java (JDK and Jackson): no Quarkus, Jakarta, Vert.x, Mutiny, SmallRye, Hibernate")
                .check(MAIN);
    }

    @Test
    void theLanguageDoesNotKnowTheCompileStage() {
        noClasses().that().resideInAnyPackage("dev.segments.rule", "dev.segments.rule.format..")
                .should().dependOnClassesThat().resideInAPackage("dev.segments.rule.sql..")
                .because("parse -> validate -> compile: no stage calls a later one")
                .check(MAIN);
    }

    // ---------------------------------------------------------------- rule/sql/: the only SQL around predicates

    @Test
    void onlyRuleSqlWritesStatementsAroundPredicates() {
        // the compiler itself (SqlCompiler, ConditionSql, AggregateSql, SqlBuilder) is package-private to rule.sql
        noClasses().that().resideOutsideOfPackage("dev.segments.rule.sql..")
                .should().callConstructor(SqlQuery.class, String.class, List.class)
                .because("a statement around a compiled rule comes from QueryShapes, never from a service")
                .check(MAIN);
        classes().that().resideInAPackage("dev.segments.rule.sql..")
                .should().onlyHaveDependentClassesThat().resideInAnyPackage("dev.segments.rule.sql..", "..service..",
                        "..persistence..")
                .because("services take statements from QueryShapes and persistence runs them; adapters never do")
                .check(MAIN);
    }

    @Test
    void sqlRunsInPersistence() {
        Set<String> callers = new TreeSet<>();
        for (JavaClass c : MAIN) {
            String pkg = c.getPackageName();
            if (!pkg.contains(".service") && !pkg.contains(".api") && !pkg.startsWith("dev.segments.common.tenancy")) {
                continue;
            }
            for (JavaMethodCall call : c.getMethodCallsFromSelf()) {
                String owner = call.getTargetOwner().getName();
                String name = call.getName();
                if (owner.startsWith("io.vertx.mutiny.sqlclient.") || owner.startsWith("io.vertx.sqlclient.")) {
                    if (name.equals("preparedQuery") || name.equals("query")) callers.add(local(c));
                }
            }
        }
        assertEquals(Set.of(), callers, "classes in service/api packages (or the authentication handler) that run SQL:"
                + " move the statement into the feature's persistence package");
    }

    // ---------------------------------------------------------------- layers inside a feature

    @Test
    void serviceAndPersistenceNeverImportApi() {
        Set<String> actual = dependencies(d -> {
            String from = d.getOriginClass().getPackageName(), to = d.getTargetClass().getPackageName();
            return (from.endsWith(".service") || from.endsWith(".persistence")) && to.endsWith(".api")
                    && to.startsWith("dev.segments.");
        });
        assertEquals(Set.of(), actual, "service/persistence -> api dependencies (records exchanged between layers live"
                + " at the feature root, e.g. customer.CustomerView)");
    }

    // ---------------------------------------------------------------- features one way

    /**
     * Features depend one way (segment -> customer, activity -> customer and segment, analytics -> customer and
     * segment, tenant -> activity, all -> common and rule). Customer and activity writes tell analytics and
     * membership through the {@code customer.CustomerChanges} port that {@code analytics.service.CustomerChangesPipeline}
     * implements (per-customer analytics values first, then {@code segment.service.MembershipService}), and the
     * GraphQL fields that evaluate rules over customers live in {@code segment.api}.
     */
    @Test
    void noCycleBetweenFeatures() {
        slices().matching("dev.segments.(*)..").should().beFreeOfCycles().check(MAIN);
    }

    // ---------------------------------------------------------------- helpers

    /** Class-level dependencies {@code origin -> target} (top-level classes, without {@code dev.segments.}). */
    static Set<String> dependencies(Predicate<Dependency> filter) {
        Set<String> out = new TreeSet<>();
        for (JavaClass c : MAIN) {
            for (Dependency d : c.getDirectDependenciesFromSelf()) {
                if (filter.test(d)) out.add(local(d.getOriginClass()) + " -> " + local(d.getTargetClass()));
            }
        }
        return out;
    }


    /** The top-level class's name without {@code dev.segments.} (nested classes count as their class). */
    static String local(JavaClass c) {
        String n = c.getName();
        int nested = n.indexOf('$');
        String top = nested < 0 ? n : n.substring(0, nested);
        return top.startsWith("dev.segments.") ? top.substring("dev.segments.".length()) : top;
    }
}
