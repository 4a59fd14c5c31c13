/// An iCalendar (RFC 5545) feed of shifts, for calendar apps to subscribe to.
///
/// Times are written in UTC (`20261102T080000Z`), so the feed needs no VTIMEZONE. Lines end in CRLF and are
/// folded at 75 octets without splitting a UTF-8 sequence; text values escape `\`, `;`, `,` and newlines and
/// drop other control characters.
public struct ICalendarFeed: Sendable, Equatable {
    /// One VEVENT.
    public struct Event: Sendable, Equatable {
        /// Stable across renderings, so calendar apps update the event instead of duplicating it.
        public var uid: String
        public var start: Timestamp
        public var end: Timestamp
        public var summary: String
        public var description: String?

        public init(uid: String, start: Timestamp, end: Timestamp, summary: String, description: String? = nil) {
            self.uid = uid
            self.start = start
            self.end = end
            self.summary = summary
            self.description = description
        }
    }

    /// The calendar's display name (`X-WR-CALNAME`).
    public var name: String
    public var events: [Event]
    public var productID: String

    public init(name: String, events: [Event], productID: String = "-//The One Stack//On-Call//EN") {
        self.name = name
        self.events = events
        self.productID = productID
    }

    /// The VCALENDAR text; `stamp` (usually now) is every event's `DTSTAMP`.
    public func render(stamp: Timestamp) -> String {
        var lines = [
            "BEGIN:VCALENDAR",
            "VERSION:2.0",
            "PRODID:" + Self.escape(productID),
            "CALSCALE:GREGORIAN",
            "METHOD:PUBLISH",
            "X-WR-CALNAME:" + Self.escape(name),
        ]
        let dtstamp = Self.utcText(stamp)
        for event in events {
            lines.append("BEGIN:VEVENT")
            lines.append("UID:" + Self.escape(event.uid))
            lines.append("DTSTAMP:" + dtstamp)
            lines.append("DTSTART:" + Self.utcText(event.start))
            lines.append("DTEND:" + Self.utcText(event.end))
            lines.append("SUMMARY:" + Self.escape(event.summary))
            if let description = event.description { lines.append("DESCRIPTION:" + Self.escape(description)) }
            lines.append("END:VEVENT")
        }
        lines.append("END:VCALENDAR")
        return lines.map(Self.fold).joined(separator: "\r\n") + "\r\n"
    }

    /// `YYYYMMDDTHHMMSSZ` (RFC 5545 DATE-TIME in UTC), fractions of a second dropped.
    public static func utcText(_ instant: Timestamp) -> String {
        let seconds = CivilDay.floorDiv(instant.microseconds, 1_000_000)
        let day = CivilDay.floorDiv(seconds, CivilDay.secondsPerDay)
        let time = Int(seconds - day * CivilDay.secondsPerDay)
        let (y, m, d) = CivilDay.date(day)
        return String(y).leftPadded(4) + String(format2: Int(m)) + String(format2: Int(d)) + "T"
            + String(format2: time / 3600) + String(format2: time / 60 % 60) + String(format2: time % 60) + "Z"
    }

    /// A TEXT value escaped: `\` `;` `,` get a backslash, any newline becomes `\n`, other control
    /// characters but tab are dropped.
    public static func escape(_ text: String) -> String {
        var escaped = ""
        escaped.unicodeScalars.reserveCapacity(text.unicodeScalars.count)
        var previousWasCR = false
        for scalar in text.unicodeScalars {
            defer { previousWasCR = scalar == "\r" }
            switch scalar {
            case "\\", ";", ",": escaped.unicodeScalars.append("\\"); escaped.unicodeScalars.append(scalar)
            case "\r": escaped += "\\n"
            case "\n": if !previousWasCR { escaped += "\\n" }
            case "\t": escaped.unicodeScalars.append(scalar)
            case _ where scalar.value < 0x20 || scalar.value == 0x7F: break
            default: escaped.unicodeScalars.append(scalar)
            }
        }
        return escaped
    }

    /// Splits a content line into lines of at most 75 octets; continuation lines start with a space.
    static func fold(_ line: String) -> String {
        var folded = ""
        var octets = 0
        for scalar in line.unicodeScalars {
            let size = UTF8.width(scalar)
            if octets + size > 75 {
                folded += "\r\n "
                octets = 1
            }
            folded.unicodeScalars.append(scalar)
            octets += size
        }
        return folded
    }
}
