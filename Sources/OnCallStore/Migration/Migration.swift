import Foundation

/// One ordered schema change, read from `Migrations/NNNN_name.sql` in this target's resources.
public struct Migration: Sendable, Equatable {
    public let version: Int
    public let name: String
    public let sql: String
    /// FNV-1a of the file, so an edited migration that was already applied is noticed.
    public let checksum: String

    public init(version: Int, name: String, sql: String) {
        self.version = version
        self.name = name
        self.sql = sql
        self.checksum = EmbeddedPostgres.fnv1a(sql)
    }

    /// The migrations shipped with this build, in version order.
    public static func bundled() throws -> [Migration] {
        guard let folder = Bundle.module.url(forResource: "Migrations", withExtension: nil) else {
            throw MigrationError(message: "the Migrations resource folder is missing from the oncall bundle")
        }
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".sql") }
        return try parse(files: files.map { ($0, try String(contentsOf: folder.appendingPathComponent($0), encoding: .utf8)) })
    }

    /// Orders `(file name, contents)` pairs named `NNNN_name.sql`; refuses bad names and duplicate versions.
    static func parse(files: [(String, String)]) throws -> [Migration] {
        var seen: [Int: String] = [:]
        let migrations = try files.map { file, sql -> Migration in
            let stem = file.dropLast(".sql".count)
            guard let underscore = stem.firstIndex(of: "_"), let version = Int(stem[..<underscore]), version > 0 else {
                throw MigrationError(message: "migration file '\(file)' is not named NNNN_name.sql")
            }
            if let other = seen[version] { throw MigrationError(message: "migrations '\(other)' and '\(file)' share version \(version)") }
            seen[version] = file
            return Migration(version: version, name: String(stem[stem.index(after: underscore)...]), sql: sql)
        }
        return migrations.sorted { $0.version < $1.version }
    }
}

public struct MigrationError: Error, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}
