public import HTTPTypes
public import Hummingbird
import Foundation

/// An error the API answers with: a status, a stable machine-readable code and a message for people.
///
/// Every error response has the body `{"error":{"code":"…","message":"…"}}`; handlers throw these and
/// ``JSONErrorMiddleware`` turns them (and Hummingbird's own errors) into that shape.
public struct APIError: Error, HTTPResponseError, Sendable {
    /// A growable set of codes; clients may switch on them.
    public struct Code: Hashable, Sendable, CustomStringConvertible, ExpressibleByStringLiteral {
        public let rawValue: String
        public init(_ rawValue: String) { self.rawValue = rawValue }
        public init(stringLiteral value: String) { self.rawValue = value }
        public var description: String { rawValue }

        public static let badRequest: Code = "bad_request"
        public static let unauthorized: Code = "unauthorized"
        public static let forbidden: Code = "forbidden"
        public static let notFound: Code = "not_found"
        public static let methodNotAllowed: Code = "method_not_allowed"
        public static let conflict: Code = "conflict"
        public static let payloadTooLarge: Code = "payload_too_large"
        public static let unsupportedMediaType: Code = "unsupported_media_type"
        public static let unprocessable: Code = "unprocessable_entity"
        public static let rateLimited: Code = "rate_limited"
        public static let notReady: Code = "not_ready"
        public static let internalError: Code = "internal_error"

        /// The code Hummingbird's own errors get, by status.
        static func forStatus(_ status: HTTPResponse.Status) -> Code {
            switch status.code {
            case 400: .badRequest
            case 401: .unauthorized
            case 403: .forbidden
            case 404: .notFound
            case 405: .methodNotAllowed
            case 409: .conflict
            case 413: .payloadTooLarge
            case 415: .unsupportedMediaType
            case 422: .unprocessable
            case 429: .rateLimited
            case 503: .notReady
            case 500...: .internalError
            default: Code(status.reasonPhrase.lowercased().replacingOccurrences(of: " ", with: "_"))
            }
        }
    }

    public var status: HTTPResponse.Status
    public var code: Code
    public var message: String
    public var headers: HTTPFields
    /// Each invalid field: its path in the request body (`layers[0].members[2]`) and what is wrong with it.
    public var problems: [(path: String, message: String)]

    public init(_ status: HTTPResponse.Status, code: Code? = nil, message: String, headers: HTTPFields = [:], problems: [(path: String, message: String)] = []) {
        self.status = status
        self.code = code ?? .forStatus(status)
        self.message = message
        self.headers = headers
        self.problems = problems
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        makeResponse()
    }

    /// The JSON response for this error.
    public func makeResponse() -> Response {
        var headers = self.headers
        headers[.contentType] = "application/json; charset=utf-8"
        let body = ErrorBody(error: .init(code: code.rawValue, message: message, problems: problems.isEmpty ? nil : problems.map { .init(path: $0.path, message: $0.message) }))
        let data = (try? JSONEncoder.sortedKeys.encode(body)) ?? Data(#"{"error":{"code":"internal_error","message":"encoding failed"}}"#.utf8)
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    struct ErrorBody: Codable {
        struct Problem: Codable {
            var path: String
            var message: String
        }
        struct Detail: Codable {
            var code: String
            var message: String
            var problems: [Problem]?
        }
        var error: Detail
    }
}

extension JSONEncoder {
    /// One shared encoder (Sendable) for error bodies and readiness: built once, not per response.
    static let sortedKeys: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return encoder
    }()
}

/// `?limit=`: a page size from 1 to `maximum` (400 otherwise), `default` when absent.
enum LimitParameter {
    static func parse(_ text: String?, default fallback: Int, maximum: Int) throws -> Int {
        guard let text else { return fallback }
        guard let value = Int(text), (1...maximum).contains(value) else {
            throw APIError(.badRequest, message: "limit: a number from 1 to \(maximum)", problems: [("limit", "1 to \(maximum)")])
        }
        return value
    }
}
