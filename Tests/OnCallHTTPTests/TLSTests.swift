import Foundation
import Testing
import OnCallCore
import OnCallHTTP
import OnCallStore
import OnCallTesting

@Suite("TLS with ALPN")
struct TLSTests {
    /// A throwaway self-signed certificate for localhost, made with the openssl command.
    static func throwawayCertificate() throws -> (cert: String, key: String) {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("oncall-tls-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let openssl = try #require(Subprocess.find("openssl", extraDirectories: ["/usr/bin"]), "openssl is needed to make a test certificate")
        try Subprocess.run([
            openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost",
            "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
            "-keyout", dir + "/key.pem", "-out", dir + "/cert.pem",
        ])
        return (dir + "/cert.pem", dir + "/key.pem")
    }

    @Test func alpnNegotiatesHTTP2AndFallsBackToHTTP1() async throws {
        let (cert, key) = try Self.throwawayCertificate()
        var http = OnCallConfiguration.HTTP()
        http.tls = .init(certificatePath: cert, privateKeyPath: key)
        try await withLiveServer(server: try OnCallApplication.serverBuilder(for: http)) { port in
            let h2 = try await TestHTTP.tls(port: port, "GET", "/healthz", preferHTTP2: true)
            #expect(h2.status == 200)
            #expect(h2.httpVersion == "HTTP/2")
            let h1 = try await TestHTTP.tls(port: port, "GET", "/healthz", preferHTTP2: false)
            #expect(h1.status == 200)
            #expect(h1.httpVersion == "HTTP/1.1")
            let missing = try await TestHTTP.tls(port: port, "GET", "/missing")
            #expect(missing.status == 404)
            #expect(missing.text.contains(#""code":"not_found""#))
        }
    }

    @Test func unreadableCertificateNamesTheVariable() throws {
        var http = OnCallConfiguration.HTTP()
        http.tls = .init(certificatePath: "/nonexistent/cert.pem", privateKeyPath: "/nonexistent/key.pem")
        #expect {
            _ = try OnCallApplication.serverBuilder(for: http)
        } throws: { error in
            (error as? ConfigurationError)?.variable == "ONCALL_TLS_CERT"
        }
    }
}
