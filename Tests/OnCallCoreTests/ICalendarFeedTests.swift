import Testing
@testable import OnCallCore

/// The iCalendar feed: exact output, CRLF, folding at 75 octets, TEXT escaping.
@Suite("iCalendar feed")
struct ICalendarFeedTests {
    func utc(_ text: String) -> Timestamp { ScheduleFixtures.utc(text) }

    /// The physical lines, split on CRLF (the text must end in CRLF).
    func lines(_ text: String) -> [String] {
        var lines: [String] = []
        var current: [UInt8] = []
        var bytes = Array(text.utf8)[...]
        while let byte = bytes.popFirst() {
            if byte == 13, bytes.first == 10 {
                bytes.removeFirst()
                lines.append(String(decoding: current, as: UTF8.self))
                current = []
            } else {
                current.append(byte)
            }
        }
        #expect(current.isEmpty, "ends in CRLF")
        return lines
    }

    /// Content lines with folding undone.
    func unfolded(_ text: String) -> [String] {
        lines(text).reduce(into: []) { result, line in
            if line.hasPrefix(" ") { result[result.count - 1] += line.dropFirst() } else { result.append(line) }
        }
    }

    @Test func rendersACalendarWithOneEvent() {
        let feed = ICalendarFeed(name: "Primary on-call", events: [
            .init(uid: "primary-alice-1@oncall", start: utc("2026-11-02T08:00Z"), end: utc("2026-11-09T08:00Z"),
                  summary: "On call: Primary on-call", description: "Weekly rotation"),
        ])
        let text = feed.render(stamp: utc("2026-10-30T12:34:56Z") + .microseconds(789))
        #expect(text == [
            "BEGIN:VCALENDAR",
            "VERSION:2.0",
            "PRODID:-//The One Stack//On-Call//EN",
            "CALSCALE:GREGORIAN",
            "METHOD:PUBLISH",
            "X-WR-CALNAME:Primary on-call",
            "BEGIN:VEVENT",
            "UID:primary-alice-1@oncall",
            "DTSTAMP:20261030T123456Z",
            "DTSTART:20261102T080000Z",
            "DTEND:20261109T080000Z",
            "SUMMARY:On call: Primary on-call",
            "DESCRIPTION:Weekly rotation",
            "END:VEVENT",
            "END:VCALENDAR",
        ].map { $0 + "\r\n" }.joined())
    }

    @Test func anEventWithoutDescriptionAndAnEmptyCalendar() {
        let empty = ICalendarFeed(name: "Empty", events: []).render(stamp: utc("2026-01-01T00:00Z"))
        #expect(lines(empty) == ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//The One Stack//On-Call//EN", "CALSCALE:GREGORIAN",
                                 "METHOD:PUBLISH", "X-WR-CALNAME:Empty", "END:VCALENDAR"])
        let one = ICalendarFeed(name: "C", events: [.init(uid: "u", start: utc("2026-01-01T00:00Z"), end: utc("2026-01-02T00:00Z"), summary: "s")])
        #expect(!one.render(stamp: utc("2026-01-01T00:00Z")).contains("DESCRIPTION"))
    }

    @Test func everyLineEndsInCRLFAndNoBareLineFeedOrReturn() {
        let feed = ICalendarFeed(name: "A\nB\r\nC\rD", events: [
            .init(uid: "u", start: utc("2026-01-01T00:00Z"), end: utc("2026-01-02T00:00Z"), summary: "x\n\ny", description: "1\r\n2"),
        ])
        let bytes = Array(feed.render(stamp: utc("2026-01-01T00:00Z")).utf8)
        for (i, byte) in bytes.enumerated() {
            if byte == 10 { #expect(i > 0 && bytes[i - 1] == 13) }
            if byte == 13 { #expect(i + 1 < bytes.count && bytes[i + 1] == 10) }
        }
        let content = unfolded(String(decoding: bytes, as: UTF8.self))
        #expect(content.contains("X-WR-CALNAME:A\\nB\\nC\\nD"))
        #expect(content.contains("SUMMARY:x\\n\\ny"))
        #expect(content.contains("DESCRIPTION:1\\n2"))
    }

    @Test func textIsEscaped() {
        #expect(ICalendarFeed.escape(#"a,b;c\d"#) == #"a\,b\;c\\d"#)
        #expect(ICalendarFeed.escape("line 1\nline 2") == #"line 1\nline 2"#)
        #expect(ICalendarFeed.escape("tab\there, bell\u{07} gone, del\u{7F} gone") == "tab\there\\, bell gone\\, del gone")
        #expect(ICalendarFeed.escape("Nguyễn: \"quoted\" 🎄") == "Nguyễn: \"quoted\" 🎄")
    }

    @Test func longLinesFoldAtSeventyFiveOctets() {
        let summary = String(repeating: "0123456789", count: 20)
        let feed = ICalendarFeed(name: "C", events: [.init(uid: "u", start: utc("2026-01-01T00:00Z"), end: utc("2026-01-02T00:00Z"), summary: summary)])
        let text = feed.render(stamp: utc("2026-01-01T00:00Z"))
        let physical = lines(text)
        let start = physical.firstIndex(where: { $0.hasPrefix("SUMMARY:") })!
        #expect(physical[start].utf8.count == 75)
        #expect(physical[start + 1].hasPrefix(" ") && physical[start + 1].utf8.count == 75)
        #expect(physical[start + 2].hasPrefix(" ") && physical[start + 2].utf8.count == 1 + (8 + 200 - 75 - 74))
        #expect(unfolded(text).contains("SUMMARY:" + summary))
    }

    @Test func foldingNeverSplitsAUTF8Sequence() {
        // "SUMMARY:" is 8 octets, each é 2: after 33 of them the line holds 74 octets and the next would make 76.
        let accents = String(repeating: "é", count: 40)
        let emoji = String(repeating: "🎄", count: 30) + "x"
        let feed = ICalendarFeed(name: emoji, events: [.init(uid: "u", start: utc("2026-01-01T00:00Z"), end: utc("2026-01-02T00:00Z"), summary: accents)])
        let text = feed.render(stamp: utc("2026-01-01T00:00Z"))
        let physical = lines(text)
        for line in physical {
            #expect(line.utf8.count <= 75)
            #expect(!line.unicodeScalars.contains("\u{FFFD}"), "decoded cleanly: no sequence was cut")
        }
        let summary = physical.firstIndex(where: { $0.hasPrefix("SUMMARY:") })!
        #expect(physical[summary].utf8.count == 74)
        #expect(physical[summary + 1] == " " + String(repeating: "é", count: 7))
        #expect(unfolded(text).contains("SUMMARY:" + accents))
        #expect(unfolded(text).contains("X-WR-CALNAME:" + emoji))
    }

    @Test func utcTextIsBasicFormatWithoutFractions() {
        #expect(ICalendarFeed.utcText(utc("2026-11-02T08:00Z")) == "20261102T080000Z")
        #expect(ICalendarFeed.utcText(utc("2026-11-02T08:00:59Z") + .microseconds(999_999)) == "20261102T080059Z")
        #expect(ICalendarFeed.utcText(Timestamp(microseconds: -1)) == "19691231T235959Z")
        #expect(ICalendarFeed.utcText(utc("0999-01-01T00:00Z")) == "09990101T000000Z")
    }

    @Test func aScheduleTimelineBecomesEvents() throws {
        let primary = try ScheduleResolver(ScheduleFixtures.primary)
        let shifts = primary.shifts(from: utc("2026-12-24T00:00Z"), to: utc("2026-12-28T00:00Z")).filter { $0.technician == "carol" }
        let feed = ICalendarFeed(name: "Carol, Primary on-call", events: shifts.map {
            .init(uid: "primary-carol-\($0.start.microseconds)@oncall", start: $0.start, end: $0.end, summary: "On call: Primary on-call", description: "\($0.source)")
        })
        let content = unfolded(feed.render(stamp: utc("2026-12-01T00:00Z")))
        #expect(content.contains("DTSTART:20261224T170000Z"))
        #expect(content.contains("DTEND:20261226T080000Z"))
        #expect(content.contains("DESCRIPTION:override 1"))
        #expect(content.contains("X-WR-CALNAME:Carol\\, Primary on-call"))
    }
}
