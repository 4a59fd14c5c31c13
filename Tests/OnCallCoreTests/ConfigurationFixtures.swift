import Foundation
import OnCallCore

/// The repository's configuration example (`fixtures/config/acme.yaml`), read as `oncall apply` reads it.
enum ConfigurationFixtures {
    static let root: URL = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url
    }()

    static let acmeText: String = try! String(contentsOf: root.appendingPathComponent("fixtures/config/acme.yaml"), encoding: .utf8)
    static let acme: ConfigurationDocument = try! ConfigurationCodec.decodeDocument(acmeText)
    static var tenant: TenantConfiguration { acme.tenants[0] }

    /// The problems of `text` as `path (line N): message`, or [] when it loads.
    static func loadProblems(_ text: String) -> [String] {
        do {
            _ = try ConfigurationCodec.loadDocument(text)
            return []
        } catch {
            return error.problems.map(\.description)
        }
    }

    /// The decoding problems of `text` as a file.
    static func decodeProblems(_ text: String) -> [ConfigurationProblem] {
        do {
            _ = try ConfigurationCodec.decodeDocument(text)
            return []
        } catch {
            return error.problems
        }
    }

    /// acme.yaml with the first `original` replaced.
    static func acme(replacing original: String, with replacement: String) -> String {
        guard let range = acmeText.range(of: original) else { fatalError("'\(original)' is not in acme.yaml") }
        return acmeText.replacingCharacters(in: range, with: replacement)
    }
}
