import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOHTTP2
import NIOPosix
import NIOSSL

/// What a test request got back, whichever protocol carried it.
public struct TestResponse: Sendable {
    public var status: Int
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]
    /// "HTTP/1.1" or "HTTP/2".
    public var httpVersion: String

    public var text: String { String(decoding: body, as: UTF8.self) }

    public func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }

    /// The body parsed as a JSON object.
    public func json() throws -> [String: any Sendable] {
        guard let object = try JSONSerialization.jsonObject(with: Data(body)) as? [String: any Sendable] else {
            throw TestSupportError("body is not a JSON object: \(text)")
        }
        return object
    }
}

/// Clients for the three ways a server is reached: HTTP/1.1, h2c (prior knowledge) and TLS with ALPN.
public enum TestHTTP {
    /// HTTP/1.1 in clear text (AsyncHTTPClient speaks HTTP/2 only over TLS).
    public static func http1(port: Int, _ method: String = "GET", _ path: String, headers: [(String, String)] = [], body: [UInt8]? = nil) async throws -> TestResponse {
        try await execute(client: HTTPClient.shared, url: "http://127.0.0.1:\(port)\(path)", method, headers: headers, body: body)
    }

    /// HTTPS with ALPN offering h2 and http/1.1; the server's certificate is not verified (throwaway certificates).
    public static func tls(port: Int, _ method: String = "GET", _ path: String, preferHTTP2: Bool = true, headers: [(String, String)] = [], body: [UInt8]? = nil) async throws -> TestResponse {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.certificateVerification = .none
        var configuration = HTTPClient.Configuration(tlsConfiguration: tls)
        configuration.httpVersion = preferHTTP2 ? .automatic : .http1Only
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        do {
            let response = try await execute(client: client, url: "https://localhost:\(port)\(path)", method, headers: headers, body: body)
            try await client.shutdown()
            return response
        } catch {
            try? await client.shutdown()
            throw error
        }
    }

    private static func execute(client: HTTPClient, url: String, _ method: String, headers: [(String, String)], body: [UInt8]?) async throws -> TestResponse {
        var request = HTTPClientRequest(url: url)
        request.method = HTTPMethod(rawValue: method)
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body { request.body = .bytes(ByteBuffer(bytes: body)) }
        let response = try await client.execute(request, timeout: .seconds(30))
        let bytes = try await response.body.collect(upTo: 16 * 1024 * 1024)
        return TestResponse(
            status: Int(response.status.code),
            headers: response.headers.map { ($0.name, $0.value) },
            body: Array(bytes.readableBytesView),
            httpVersion: response.version.major == 2 ? "HTTP/2" : "HTTP/1.1"
        )
    }

    /// HTTP/2 with prior knowledge over clear text (h2c): the connection opens with the HTTP/2 preface.
    public static func h2c(port: Int, _ method: String = "GET", _ path: String, headers: [(String, String)] = [], body: [UInt8]? = nil) async throws -> TestResponse {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connectTimeout(.seconds(10))
            .connect(host: "127.0.0.1", port: port).get()
        defer { channel.close(promise: nil) }
        let promise = channel.eventLoop.makePromise(of: TestResponse.self)
        let stream = try await channel.eventLoop.flatSubmit { () -> EventLoopFuture<any Channel> in
            let streamPromise = channel.eventLoop.makePromise(of: (any Channel).self)
            do {
                let multiplexer = try channel.pipeline.syncOperations.configureHTTP2Pipeline(
                    mode: .client, connectionConfiguration: .init(), streamConfiguration: .init()
                ) { pushed in pushed.close() }
                multiplexer.createStreamChannel(promise: streamPromise) { stream in
                    stream.eventLoop.makeCompletedFuture {
                        try stream.pipeline.syncOperations.addHandlers([
                            HTTP2FramePayloadToHTTP1ClientCodec(httpProtocol: .http),
                            ResponseCollector(promise: promise),
                        ])
                    }
                }
            } catch {
                streamPromise.fail(error)
            }
            return streamPromise.futureResult
        }.get()

        var head = HTTPRequestHead(version: .http2, method: HTTPMethod(rawValue: method), uri: path)
        head.headers.add(name: "host", value: "127.0.0.1:\(port)")
        for (name, value) in headers { head.headers.add(name: name, value: value) }
        if let body { head.headers.add(name: "content-length", value: String(body.count)) }
        stream.write(HTTPClientRequestPart.head(head), promise: nil)
        if let body { stream.write(HTTPClientRequestPart.body(.byteBuffer(ByteBuffer(bytes: body))), promise: nil) }
        stream.writeAndFlush(HTTPClientRequestPart.end(nil), promise: nil)

        let timeout = channel.eventLoop.scheduleTask(in: .seconds(30)) { promise.fail(TestSupportError("h2c request timed out")) }
        defer { timeout.cancel() }
        return try await promise.futureResult.get()
    }
}

/// Gathers one HTTP response on an HTTP/2 stream.
private final class ResponseCollector: ChannelInboundHandler {
    typealias InboundIn = HTTPClientResponsePart

    private let promise: EventLoopPromise<TestResponse>
    private var head: HTTPResponseHead?
    private var body: [UInt8] = []

    init(promise: EventLoopPromise<TestResponse>) {
        self.promise = promise
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
        case .body(let buffer):
            body.append(contentsOf: buffer.readableBytesView)
        case .end:
            guard let head else { return promise.fail(TestSupportError("response ended without a head")) }
            promise.succeed(TestResponse(status: Int(head.status.code), headers: head.headers.map { ($0.name, $0.value) }, body: body, httpVersion: "HTTP/2"))
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        promise.fail(error)
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        promise.fail(TestSupportError("HTTP/2 stream closed before the response ended"))
    }
}
