import Foundation
import OnCallCore
import OnCallHTTP
import OnCallTesting
import Testing

/// What a broken or hostile client does to the front door (the production server configuration): oversized
/// headers, garbage, slowloris connections, invalid HTTP/2 frames, floods of streams and resets. Each is dealt
/// with on its own connection, and the server keeps answering everyone else.
@Suite("Malformed HTTP")
struct MalformedHTTPTests {
    static func withServer(_ body: @Sendable (Int) async throws -> Void) async throws {
        try await withLiveServer(server: try OnCallApplication.serverBuilder(for: OnCallConfiguration().http), body)
    }

    /// A well-behaved client on both protocols still gets its answer, quickly.
    static func othersAreAnswered(_ port: Int, sourceLocation: Testing.SourceLocation = #_sourceLocation) async throws {
        let started = ContinuousClock.now
        #expect(try await TestHTTP.http1(port: port, "GET", "/healthz").status == 200, sourceLocation: sourceLocation)
        #expect(try await TestHTTP.h2c(port: port, "GET", "/healthz").status == 200, sourceLocation: sourceLocation)
        #expect(ContinuousClock.now - started < .seconds(5), "answered in \(ContinuousClock.now - started)", sourceLocation: sourceLocation)
    }

    @Test func oversizedHeadersAndGarbageAreRefusedOnTheirConnectionOnly() async throws {
        try await Self.withServer { port in
            let huge = try await RawConnection.connect(port: port)
            await huge.send(Array("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: \(String(repeating: "a", count: 2_000_000))\r\n\r\n".utf8))
            #expect(await huge.waitForClose(timeout: .seconds(10)), "a 2 MB header ends the connection")
            #expect(!String(decoding: huge.received, as: UTF8.self).contains("200 OK"))

            let garbage = try await RawConnection.connect(port: port)
            await garbage.send([0x16, 0x03, 0x01, 0x02, 0x00] + Array("NOT HTTP AT ALL\r\n\r\n".utf8))
            #expect(await garbage.waitForClose(timeout: .seconds(10)), "bytes that are not HTTP end the connection")

            let badLine = try await RawConnection.connect(port: port)
            await badLine.send(Array("GET /healthz HTTP/9.9\r\nHost: x\r\nContent-Length: -5\r\n\r\n".utf8))
            _ = await badLine.waitFor(timeout: .seconds(5)) { String(decoding: $0, as: UTF8.self).contains("400") } || badLine.isClosed
            try await Self.othersAreAnswered(port)
            for connection in [huge, garbage, badLine] { await connection.close() }
        }
    }

    @Test func slowlorisConnectionsDoNotStarveOthers() async throws {
        try await Self.withServer { port in
            // 300 clients that start a request and never finish it.
            var slow: [RawConnection] = []
            for _ in 0..<300 {
                let connection = try await RawConnection.connect(port: port)
                await connection.send(Array("POST /api/webhooks/x HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n{\"title\":".utf8))
                slow.append(connection)
            }
            try await Self.othersAreAnswered(port)
            // Dribbling a byte now and then changes nothing for the others.
            for connection in slow.prefix(50) { await connection.send([UInt8(ascii: "x")]) }
            try await Self.othersAreAnswered(port)
            for connection in slow { await connection.close() }
        }
    }

    @Test func invalidHTTP2FramesEndTheirConnectionWithGoaway() async throws {
        try await Self.withServer { port in
            let settings = RawConnection.frame(type: 0x4, flags: 0, stream: 0)
            // HEADERS on stream 0 is a connection error (RFC 9113 §6.2).
            let onZero = try await RawConnection.connect(port: port)
            await onZero.send(RawConnection.preface + settings + RawConnection.frame(type: 0x1, flags: 0x5, stream: 0, [0x82]))
            #expect(await onZero.waitFor(timeout: .seconds(10)) { RawConnection.frameTypes($0).contains(0x7) }, "GOAWAY")
            // A frame longer than the peer allows (16 KiB default max frame size).
            let tooLong = try await RawConnection.connect(port: port)
            await tooLong.send(RawConnection.preface + settings + RawConnection.frame(type: 0x0, flags: 0, stream: 1, Array(repeating: 0, count: 20_000)))
            #expect(await tooLong.waitForClose(timeout: .seconds(10)))
            // An HPACK block that does not decode.
            let badBlock = try await RawConnection.connect(port: port)
            await badBlock.send(RawConnection.preface + settings + RawConnection.frame(type: 0x1, flags: 0x5, stream: 1, [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]))
            #expect(await badBlock.waitFor(timeout: .seconds(10)) { RawConnection.frameTypes($0).contains(0x7) } || badBlock.isClosed)
            try await Self.othersAreAnswered(port)
            for connection in [onZero, tooLong, badBlock] { await connection.close() }
        }
    }

    @Test func floodsOfStreamsAndResetsAreContained() async throws {
        try await Self.withServer { port in
            let settings = RawConnection.frame(type: 0x4, flags: 0, stream: 0)
            // 5,000 requests at once on one connection, never reading the answers.
            let flood = try await RawConnection.connect(port: port)
            var frames = RawConnection.preface + settings
            for index in 0..<5_000 { frames += RawConnection.get("/healthz", stream: UInt32(2 * index + 1)) }
            await flood.send(frames)
            try await Self.othersAreAnswered(port)
            // Rapid reset (CVE-2023-44487): open a stream and cancel it at once, over and over.
            let resets = try await RawConnection.connect(port: port)
            var churn = RawConnection.preface + settings
            for index in 0..<10_000 {
                let stream = UInt32(2 * index + 1)
                churn += RawConnection.get("/healthz", stream: stream) + RawConnection.frame(type: 0x3, flags: 0, stream: stream, [0, 0, 0, 8])
            }
            await resets.send(churn)
            try await Self.othersAreAnswered(port)
            #expect(await resets.waitFor(timeout: .seconds(10)) { RawConnection.frameTypes($0).contains(0x7) } || resets.isClosed,
                    "the resetting client is sent away")
            for connection in [flood, resets] { await connection.close() }
        }
    }
}
