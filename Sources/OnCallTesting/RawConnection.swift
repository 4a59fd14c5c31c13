import NIOCore
import NIOPosix
import Synchronization

/// A plain TCP connection for sending what no HTTP client would (broken requests, hand-made HTTP/2 frames)
/// and seeing what comes back and whether the server hung up.
public final class RawConnection: Sendable {
    final class Collector: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        let bytes = Mutex<[UInt8]>([])
        let closed = Mutex(false)

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let buffer = unwrapInboundIn(data)
            bytes.withLock { $0 += buffer.readableBytesView }
        }

        func channelInactive(context: ChannelHandlerContext) {
            closed.withLock { $0 = true }
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            context.close(promise: nil)
        }
    }

    let channel: any Channel
    let collector: Collector

    init(channel: any Channel, collector: Collector) {
        self.channel = channel
        self.collector = collector
    }

    public static func connect(port: Int, host: String = "127.0.0.1") async throws -> RawConnection {
        let collector = Collector()
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelInitializer { channel in channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(collector) } }
            .connect(host: host, port: port).get()
        return RawConnection(channel: channel, collector: collector)
    }

    /// Sends bytes; false when the server had already closed the connection.
    @discardableResult
    public func send(_ bytes: [UInt8]) async -> Bool {
        do {
            try await channel.writeAndFlush(ByteBuffer(bytes: bytes)).get()
            return true
        } catch {
            return false
        }
    }

    public var received: [UInt8] { collector.bytes.withLock { $0 } }
    public var isClosed: Bool { collector.closed.withLock { $0 } }

    /// Waits until the server closes the connection (true) or `timeout` passes (false).
    public func waitForClose(timeout: Duration) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if isClosed { return true }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return isClosed
    }

    /// Waits until `predicate` holds for what was received, or `timeout` passes.
    public func waitFor(timeout: Duration, _ predicate: ([UInt8]) -> Bool) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if predicate(received) { return true }
            if isClosed { return predicate(received) }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return predicate(received)
    }

    public func close() async {
        try? await channel.close().get()
    }

    // MARK: HTTP/2 frames by hand

    public static let preface = Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8)

    public static func frame(type: UInt8, flags: UInt8, stream: UInt32, _ payload: [UInt8] = []) -> [UInt8] {
        let length = payload.count
        return [UInt8(length >> 16 & 0xFF), UInt8(length >> 8 & 0xFF), UInt8(length & 0xFF), type, flags,
                UInt8(stream >> 24 & 0x7F), UInt8(stream >> 16 & 0xFF), UInt8(stream >> 8 & 0xFF), UInt8(stream & 0xFF)] + payload
    }

    /// A HEADERS frame (END_STREAM | END_HEADERS) for `GET path` in HPACK without Huffman or the dynamic table.
    public static func get(_ path: String, stream: UInt32) -> [UInt8] {
        let pathBytes = Array(path.utf8)
        let block: [UInt8] = [0x82, 0x86, 0x04, UInt8(pathBytes.count)] + pathBytes + [0x01, 0x01, UInt8(ascii: "x")]
        return frame(type: 0x1, flags: 0x5, stream: stream, block)
    }

    /// The frame types found in `bytes` read as a sequence of HTTP/2 frames (stops at the first incomplete one).
    public static func frameTypes(_ bytes: [UInt8]) -> [UInt8] {
        var types: [UInt8] = []
        var index = 0
        while index + 9 <= bytes.count {
            let length = Int(bytes[index]) << 16 | Int(bytes[index + 1]) << 8 | Int(bytes[index + 2])
            types.append(bytes[index + 3])
            index += 9 + length
        }
        return types
    }
}
