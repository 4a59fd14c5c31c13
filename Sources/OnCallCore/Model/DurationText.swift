/// Durations as people write them in workflow and configuration files: `30s`, `5m`, `2h`, `1d`, `1h30m`.
public enum DurationText {
    /// Parses a duration; nil when the text is not one. Units: s, m, h, d; parts may be combined, largest first.
    public static func parse(_ text: String) -> Duration? {
        let trimmed = text.filter { !$0.isWhitespace }
        guard !trimmed.isEmpty else { return nil }
        var total: Int64 = 0
        var number = ""
        var lastRank = Int.max
        for character in trimmed {
            if character.isASCII && character.isNumber {
                number.append(character)
                continue
            }
            let (seconds, rank): (Int64, Int)
            switch character {
            case "s": (seconds, rank) = (1, 0)
            case "m": (seconds, rank) = (60, 1)
            case "h": (seconds, rank) = (3600, 2)
            case "d": (seconds, rank) = (86400, 3)
            default: return nil
            }
            guard let value = Int64(number), rank < lastRank else { return nil }
            let (product, overflow) = value.multipliedReportingOverflow(by: seconds)
            guard !overflow, product <= 10 * 365 * 86400 else { return nil }
            total += product
            number = ""
            lastRank = rank
        }
        guard number.isEmpty else { return nil }
        return .seconds(total)
    }

    /// The shortest text for a whole number of seconds (`90s` → `1m30s`).
    public static func format(_ duration: Duration) -> String {
        var seconds = duration.components.seconds
        if seconds == 0 { return "0s" }
        var text = ""
        for (unit, size) in [("d", Int64(86400)), ("h", 3600), ("m", 60), ("s", 1)] where seconds >= size {
            text += "\(seconds / size)\(unit)"
            seconds %= size
        }
        return text
    }
}
