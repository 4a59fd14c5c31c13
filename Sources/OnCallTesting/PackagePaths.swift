import Foundation

/// Where things are when tests run from `swift test`.
public enum PackagePaths {
    /// The package root (the folder holding Package.swift).
    public static let root: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()

    /// The `oncall` executable built beside the test bundle.
    public static func oncallExecutable() throws -> String {
        let testBinary = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        var candidates = [testBinary.deletingLastPathComponent().appendingPathComponent("oncall").path]
        // The bundle may be a folder (…/oncallPackageTests.xctest/…) on some set-ups.
        var url = testBinary
        while url.pathComponents.count > 1 {
            url.deleteLastPathComponent()
            if url.lastPathComponent.hasSuffix(".xctest") {
                candidates.append(url.deletingLastPathComponent().appendingPathComponent("oncall").path)
            }
        }
        candidates.append(root + "/.build/debug/oncall")
        if let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) { return found }
        throw TestSupportError("the oncall executable was not found (looked at \(candidates.joined(separator: ", "))); run swift build first")
    }
}

public struct TestSupportError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
