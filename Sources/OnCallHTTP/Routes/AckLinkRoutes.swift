import Foundation
import HTTPTypes
import Hummingbird
import OnCallCore
import OnCallEngine
import OnCallStore

/// `/ack/{token}`: the one-click acknowledge link every page carries (docs/paging.md).
///
/// GET shows the incident and acknowledges at once in a browser (the page posts itself with a line of
/// script), while link previewers and mail scanners, which fetch but run no script, change nothing. POST
/// acknowledges as the technician the link was made for, once. `Accept: application/json` gets JSON.
extension IncidentRoutes {
    func registerAckLinks(on router: Router<OnCallRequestContext>) {
        router.get("ack/:token") { request, context -> Response in
            let token = try context.parameters.require("token")
            switch try await engine.inspectAckLink(token) {
            case .failure(let refusal):
                return Self.linkPage(request, status: .notFound, heading: "This acknowledge link does not work", text: Self.explain(refusal), incident: nil)
            case .success(let (_, incident)):
                guard let incident else {
                    return Self.linkPage(request, status: .notFound, heading: "This incident no longer exists", text: "", incident: nil)
                }
                if Self.wantsJSON(request) { return try Self.json(["action": "confirm", "method": "POST"], incident: incident) }
                let form = """
                    <form id="ack" method="post"><button type="submit">Acknowledge</button></form>
                    <script>document.getElementById("ack").submit()</script>
                    """
                return Self.html(.ok, heading: "Acknowledging #\(incident.number)…", body: Self.describe(incident) + form)
            }
        }
        router.post("ack/:token") { request, context -> Response in
            let token = try context.parameters.require("token")
            switch try await engine.followAckLink(token) {
            case .refused(let refusal):
                return Self.linkPage(request, status: .notFound, heading: "This acknowledge link does not work", text: Self.explain(refusal), incident: nil)
            case .alreadyUsed(let incident):
                return Self.linkPage(request, status: .conflict, heading: "This link was already used", text: "Each link acknowledges once.", incident: incident)
            case .acted(let result):
                switch result {
                case .applied(let incident):
                    return Self.linkPage(request, status: .ok, heading: "Acknowledged", text: "Escalation stopped; you own it.", incident: incident)
                case .unchanged(let incident):
                    return Self.linkPage(request, status: .ok, heading: "Already acknowledged", text: "", incident: incident)
                case .refused(let incident, let reason):
                    return Self.linkPage(request, status: .conflict, heading: "Not acknowledged", text: reason, incident: incident)
                case .notFound:
                    return Self.linkPage(request, status: .notFound, heading: "This incident no longer exists", text: "", incident: nil)
                }
            }
        }
    }

    static func explain(_ refusal: AckLinks.Refusal) -> String {
        switch refusal {
        case .expired: "It has expired (links work for 24 hours). Acknowledge in the app instead."
        case .malformed, .badSignature: "It is not a link On-Call made, or it was cut short. Acknowledge in the app instead."
        }
    }

    static func wantsJSON(_ request: Request) -> Bool {
        request.headers[.accept]?.contains("application/json") == true
    }

    static func linkPage(_ request: Request, status: HTTPResponse.Status, heading: String, text: String, incident: IncidentRecord?) -> Response {
        if wantsJSON(request) {
            var fields = ["result": heading]
            if !text.isEmpty { fields["message"] = text }
            if let incident, let response = try? json(fields, incident: incident, status: status) { return response }
            return Response(status: status, headers: [.contentType: "application/json; charset=utf-8"],
                            body: .init(byteBuffer: ByteBuffer(string: JSONText.object(fields))))
        }
        return html(status, heading: heading, body: (text.isEmpty ? "" : "<p>\(escape(text))</p>") + (incident.map(describe) ?? ""))
    }

    static func json(_ fields: [String: String], incident: IncidentRecord, status: HTTPResponse.Status = .ok) throws -> Response {
        let dto = try JSONEncoder().encode(IncidentDTO(incident))
        var text = JSONText.object(fields)
        text.removeLast()
        text += #","incident":"# + String(decoding: dto, as: UTF8.self) + "}"
        return Response(status: status, headers: [.contentType: "application/json; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    static func describe(_ incident: IncidentRecord) -> String {
        "<p><strong>#\(incident.number) \(escape(incident.title))</strong><br>\(escape(incident.severity.rawValue)) · \(escape(incident.state))</p>"
    }

    static func html(_ status: HTTPResponse.Status, heading: String, body: String) -> Response {
        let page = """
            <!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
            <meta name="robots" content="noindex"><title>\(escape(heading)) · The One On-Call</title></head>
            <body style="font-family:system-ui,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem">
            <h1>\(escape(heading))</h1>\(body)</body></html>
            """
        return Response(status: status, headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store"],
                        body: .init(byteBuffer: ByteBuffer(string: page)))
    }

    static func escape(_ text: String) -> String { HTML.escape(text) }
}

/// Text inside HTML (the acknowledge pages, the ops dashboard).
enum HTML {
    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "&": out += "&amp;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(character)
            }
        }
        return out
    }
}
