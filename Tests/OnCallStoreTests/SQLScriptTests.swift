import Testing
@testable import OnCallStore

@Suite("Splitting migration files into statements")
struct SQLScriptTests {
    @Test func splitsOnTopLevelSemicolonsOnly() {
        let script = """
        -- a comment; with a semicolon
        CREATE TABLE a (x text DEFAULT 'it''s; fine');
        /* block; /* nested; */ still comment */
        CREATE FUNCTION f() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql;
        CREATE FUNCTION g() RETURNS int AS $body$ BEGIN RETURN 2; END $body$ LANGUAGE plpgsql;
        INSERT INTO "odd;name" VALUES (E'back\\\\slash\\'; quote');
        ;
        -- trailing comment only
        """
        let statements = SQLScript.statements(in: script)
        #expect(statements.count == 4)
        #expect(statements[0].hasSuffix("'it''s; fine')"))
        #expect(statements[1].contains("$$ SELECT 1; $$"))
        #expect(statements[2].contains("BEGIN RETURN 2; END"))
        #expect(statements[3].hasPrefix("INSERT INTO \"odd;name\""))
    }

    @Test func emptyAndCommentOnlyScriptsHaveNoStatements() {
        #expect(SQLScript.statements(in: "").isEmpty)
        #expect(SQLScript.statements(in: "-- nothing\n/* here */\n;;").isEmpty)
    }
}

@Suite("Migration files")
struct MigrationFileTests {
    @Test func bundledMigrationsAreOrderedAndNamed() throws {
        let migrations = try Migration.bundled()
        #expect(!migrations.isEmpty)
        #expect(migrations.map(\.version) == migrations.map(\.version).sorted())
        #expect(migrations.first?.version == 1)
    }

    @Test func badNamesAndDuplicateVersionsAreRefused() {
        #expect(throws: MigrationError.self) { try Migration.parse(files: [("init.sql", "")]) }
        #expect(throws: MigrationError.self) { try Migration.parse(files: [("0001_a.sql", ""), ("1_b.sql", "")]) }
        #expect((try? Migration.parse(files: [("0002_b.sql", ""), ("0001_a.sql", "")]).map(\.name)) == ["a", "b"])
    }
}
