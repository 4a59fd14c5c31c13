import Foundation
import Testing
import OnCallHTTP
import OnCallTesting

@Suite("One port, HTTP/1.1 and h2c")
struct FrontDoorTests {
    @Test func healthzAnswersOnBothProtocolsOnOnePort() async throws {
        try await withLiveServer { port in
            let h1 = try await TestHTTP.http1(port: port, "GET", "/healthz")
            #expect(h1.status == 200)
            #expect(h1.httpVersion == "HTTP/1.1")
            #expect(h1.text == #"{"status":"ok"}"#)
            #expect(h1.header("content-type")?.hasPrefix("application/json") == true)

            let h2 = try await TestHTTP.h2c(port: port, "GET", "/healthz")
            #expect(h2.status == 200)
            #expect(h2.httpVersion == "HTTP/2")
            #expect(h2.text == #"{"status":"ok"}"#)
        }
    }

    @Test func unknownRouteIsAJSONErrorOnBothProtocols() async throws {
        try await withLiveServer { port in
            for response in [
                try await TestHTTP.http1(port: port, "GET", "/no/such/route"),
                try await TestHTTP.h2c(port: port, "GET", "/no/such/route"),
            ] {
                #expect(response.status == 404)
                let error = try #require(try response.json()["error"] as? [String: any Sendable])
                #expect(error["code"] as? String == "not_found")
                #expect((error["message"] as? String)?.contains("/no/such/route") == true)
            }
        }
    }

    /// "POST" starts with the preface's first letter: the sniffer must still pick HTTP/1.1 at the second byte.
    @Test func http1RequestThatStartsLikeThePrefaceIsServed() async throws {
        try await withLiveServer { port in
            let response = try await TestHTTP.http1(port: port, "POST", "/nope", headers: [("content-type", "application/json")], body: Array(#"{"a":1}"#.utf8))
            #expect(response.status == 404)
            #expect(response.httpVersion == "HTTP/1.1")
            let h2 = try await TestHTTP.h2c(port: port, "POST", "/nope", body: Array("x".utf8))
            #expect(h2.status == 404)
        }
    }

    @Test func manyConcurrentRequestsOnBothProtocols() async throws {
        try await withLiveServer { port in
            try await withThrowingTaskGroup(of: Int.self) { group in
                for i in 0..<40 {
                    group.addTask {
                        let response = i.isMultiple(of: 2)
                            ? try await TestHTTP.h2c(port: port, "GET", "/healthz")
                            : try await TestHTTP.http1(port: port, "GET", "/healthz")
                        return response.status
                    }
                }
                var statuses: [Int] = []
                for try await status in group { statuses.append(status) }
                #expect(statuses.count == 40)
                #expect(statuses.allSatisfy { $0 == 200 })
            }
        }
    }
}
