public import Hummingbird
import Foundation
import Logging
import PostgresNIO

/// Turns every error a route throws (ours, Hummingbird's, or an unexpected one) into the JSON error shape.
/// Unexpected errors answer 500 with a generic message; their detail goes to the log only.
public struct JSONErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    public init() {}

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        // PostgreSQL text cannot hold NUL: a query parameter carrying one is refused before it reaches a statement.
        if let query = request.uri.query, query.range(of: "%00", options: .caseInsensitive) != nil {
            return APIError(.badRequest, message: "the query string contains a NUL character (%00)").makeResponse()
        }
        do {
            return try await next(request, context)
        } catch let error as APIError {
            return error.makeResponse()
        } catch let error as HTTPError {
            let message = error.body ?? Self.defaultMessage(error.status, request)
            return APIError(error.status, message: message, headers: error.headers).makeResponse()
        } catch let error as any HTTPResponseError {
            return APIError(error.status, message: Self.defaultMessage(error.status, request)).makeResponse()
        } catch where Self.isNULRefusal(error) {
            // The same from anywhere else the request carried text (a tenant id in a body): bad input, nothing written.
            return APIError(.badRequest, message: "the request contains a NUL character, which no text field may hold").makeResponse()
        } catch {
            context.logger.error("unexpected error", metadata: ["error": "\(String(reflecting: error))", "path": "\(request.uri.path)"])
            return APIError(.internalServerError, message: "internal error; the server log has the details").makeResponse()
        }
    }

    /// PostgreSQL refusing a U+0000 in text (SQLSTATE 22021), alone or inside a failed transaction.
    static func isNULRefusal(_ error: any Error) -> Bool {
        if let error = error as? PSQLError { return error.serverInfo?[.sqlState] == "22021" }
        if let error = error as? PostgresTransactionError, let inner = error.closureError { return isNULRefusal(inner) }
        return false
    }

    static func defaultMessage(_ status: HTTPResponse.Status, _ request: Request) -> String {
        switch status.code {
        case 404: "no route for \(request.method) \(request.uri.path)"
        case 413: "request body is larger than this endpoint accepts"
        default: status.reasonPhrase
        }
    }
}
