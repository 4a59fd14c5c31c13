import PostgresNIO

/// The text of a hot statement, written once with ``PostgresQuery`` interpolation (so its `$n` placeholders
/// follow the same order as the values bound at each execution).
protocol StatementText {
    static var name: String { get }
    static var sql: String { get }
}

/// A hot statement PostgreSQL parses and plans once per connection instead of at every execution: the
/// group-commit statements carry dozens of arrays, and planning them anew each time cost more than running them.
struct Prepared<Text: StatementText>: PostgresPreparedStatement {
    typealias Row = PostgresRow
    static var name: String { Text.name }
    static var sql: String { Text.sql }

    let binds: PostgresBindings

    init(_ query: PostgresQuery) {
        assert(query.sql == Text.sql, "the statement's text changed between executions: \(Text.name)")
        binds = query.binds
    }

    func makeBindings() throws -> PostgresBindings { binds }
    func decodeRow(_ row: PostgresRow) throws -> PostgresRow { row }
}
