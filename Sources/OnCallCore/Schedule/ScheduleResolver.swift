/// Who is on call when in one ``Schedule``: pure arithmetic on its layers, restrictions and overrides.
///
/// - Layers: turn `n` starts at the handoff plus `n` rotation lengths and belongs to `members[n mod count]`.
///   `hourly` and non-whole-day `every` lengths are elapsed time; `daily`, `weekly` and whole-day `every`
///   lengths are calendar days, so a 09:00 handoff stays 09:00 local across DST changes (that day's turn
///   lasts 23 or 25 hours). Before the first handoff a layer has nobody.
/// - Restrictions: a layer has someone on call only inside its windows; a turn cut by them yields several pieces.
/// - Overrides: the technician is on call from start to end over every layer; where overrides overlap, the
///   last one given wins. An override whose end is not after its start is ignored.
/// - Result: an override, else the last layer with someone on call, else nobody.
///
/// Wall-clock times follow ``ZoneRules``: skipped times move to the end of the gap, repeated times take the
/// earlier occurrence. Answers at an instant cost the same however long the schedule has run. Instants are
/// clamped to years 1–9999.
public struct ScheduleResolver: Sendable {
    /// The longest range ``shifts(from:to:)`` and ``layerShifts(_:from:to:)`` cover: 366 days.
    public static let maximumRange: Duration = .seconds(366 * 86_400)
    /// The most shifts one call returns; a layer with more turns than this in the range also shortens it.
    public static let maximumShifts = 10_000
    /// The longest custom rotation accepted: ten years of 366 days.
    public static let maximumRotation: Duration = .seconds(3660 * 86_400)

    public let schedule: Schedule
    public let zone: ZoneRules
    let layers: [LayerTimeline]
    /// Non-empty overrides as shifts, in the order given.
    let overrides: [ScheduleShift]

    /// Prepares `schedule`; throws on an unknown time zone or a custom rotation that is not positive or is longer
    /// than ``maximumRotation``. A layer without members never has anyone on call.
    public init(_ schedule: Schedule) throws(ScheduleError) {
        guard let zone = ZoneRules(identifier: schedule.timeZone) else {
            throw ScheduleError(code: .unknownTimeZone, scheduleID: schedule.id, message: "unknown time zone \"\(schedule.timeZone)\"")
        }
        var layers: [LayerTimeline] = []
        for (index, layer) in schedule.layers.enumerated() {
            guard let step = Self.step(layer.rotation) else {
                throw ScheduleError(
                    code: .invalidRotation, scheduleID: schedule.id, layer: index,
                    message: "rotation length must be positive and at most \(DurationText.format(Self.maximumRotation))"
                )
            }
            layers.append(LayerTimeline(index: index, layer: layer, step: step, zone: zone))
        }
        self.schedule = schedule
        self.zone = zone
        self.layers = layers
        self.overrides = schedule.overrides.enumerated().compactMap { index, override in
            let start = zone.instant(of: override.start)
            let end = zone.instant(of: override.end)
            guard start < end else { return nil }
            return ScheduleShift(technician: override.technician, start: start, end: end, source: .override(index: index))
        }
    }

    static func step(_ rotation: Rotation) -> LayerTimeline.Step? {
        switch rotation {
        case .hourly: return .elapsed(3_600_000_000)
        case .daily: return .calendarDays(1)
        case .weekly: return .calendarDays(7)
        case .every(let length):
            guard length > .zero, length <= maximumRotation else { return nil }
            let (seconds, attoseconds) = length.components
            if attoseconds == 0 && seconds % 86_400 == 0 { return .calendarDays(seconds / 86_400) }
            let micros = length.microseconds
            return micros > 0 ? .elapsed(micros) : nil
        }
    }

    /// Who is on call at `instant`: each layer's answer, the override in effect, and the winner.
    public func onCall(at instant: Timestamp) -> ScheduleOnCall {
        let t = Self.clamp(instant.microseconds)
        return ScheduleOnCall(
            instant: instant,
            layers: layers.map { ScheduleOnCall.Layer(index: $0.index, name: $0.name, shift: $0.piece(at: t)) },
            override: overrides.last(where: { $0.contains(Timestamp(microseconds: t)) })
        )
    }

    /// The final timeline over `[from, to)`: who is on call, clipped to the range, in order, with gaps where
    /// nobody is. Consecutive pieces with the same technician and the same source are merged (a turn cut by a
    /// higher layer resumes as a new shift; an override next to the same person's turn stays separate).
    ///
    /// Covers at most ``maximumRange`` from `from` and returns at most ``maximumShifts`` shifts; a layer whose
    /// turns in the range outnumber ``maximumShifts`` shortens it too. When the result stops short of `to`,
    /// ask again from the last shift's end.
    public func shifts(from: Timestamp, to: Timestamp) -> [ScheduleShift] {
        let (a, requestedEnd) = range(from, to)
        guard a < requestedEnd else { return [] }
        var b = requestedEnd
        var pieces: [[ScheduleShift]] = []
        for layer in layers {
            let (layerPieces, complete) = layer.pieces(from: a, to: b, limit: Self.maximumShifts)
            b = min(b, complete)
            pieces.append(layerPieces)
        }
        let lower = Timestamp(microseconds: a)
        let upper = Timestamp(microseconds: b)
        let overrides = overrides.compactMap { override -> ScheduleShift? in
            var clipped = override
            clipped.start = max(override.start, lower)
            clipped.end = min(override.end, upper)
            return clipped.start < clipped.end ? clipped : nil
        }

        var boundaries: [Timestamp] = [lower, upper]
        for shift in overrides + pieces.joined() where shift.start < upper {
            boundaries.append(shift.start)
            boundaries.append(min(shift.end, upper))
        }
        boundaries.sort()

        var cursors = Array(repeating: 0, count: pieces.count)
        var result: [ScheduleShift] = []
        var segmentStart = lower
        for boundary in boundaries where boundary > segmentStart {
            defer { segmentStart = boundary }
            guard let winner = winner(at: segmentStart, overrides: overrides, pieces: pieces, cursors: &cursors) else { continue }
            if var last = result.last, last.end == segmentStart, last.technician == winner.technician, last.source == winner.source {
                last.end = boundary
                result[result.count - 1] = last
            } else {
                guard result.count < Self.maximumShifts else { break }
                result.append(ScheduleShift(technician: winner.technician, start: segmentStart, end: boundary, source: winner.source))
            }
        }
        return result
    }

    /// Layer `index`'s own pieces over `[from, to)` (rotation turns cut by its restrictions, clipped to the range,
    /// not merged, overrides and other layers ignored); empty for an index out of range. Same limits as
    /// ``shifts(from:to:)``.
    public func layerShifts(_ index: Int, from: Timestamp, to: Timestamp) -> [ScheduleShift] {
        guard layers.indices.contains(index) else { return [] }
        let (a, b) = range(from, to)
        return Array(layers[index].pieces(from: a, to: b, limit: Self.maximumShifts).pieces.prefix(Self.maximumShifts))
    }

    private func winner(at t: Timestamp, overrides: [ScheduleShift], pieces: [[ScheduleShift]], cursors: inout [Int]) -> ScheduleShift? {
        if let override = overrides.last(where: { $0.contains(t) }) { return override }
        var found: ScheduleShift?
        for layer in pieces.indices {
            while cursors[layer] < pieces[layer].count && pieces[layer][cursors[layer]].end <= t { cursors[layer] += 1 }
            if cursors[layer] < pieces[layer].count && pieces[layer][cursors[layer]].contains(t) {
                found = pieces[layer][cursors[layer]]
            }
        }
        return found
    }

    private func range(_ from: Timestamp, _ to: Timestamp) -> (Int64, Int64) {
        let a = Self.clamp(from.microseconds)
        let b = Self.clamp(min(to.microseconds, a + Self.maximumRange.microseconds))
        return (a, b)
    }

    /// 0001-01-01T00:00Z … 9999-12-31T23:59:59.999999Z, so wall-clock arithmetic never overflows.
    static func clamp(_ micros: Int64) -> Int64 {
        min(max(micros, -62_135_596_800_000_000), 253_402_300_799_999_999)
    }
}
