import OnCallCore

/// A schedule's layers and overrides are stored as the configuration format's JSON: one encoding for the
/// file, the API and the database.
enum StoredSchedule {
    static func encode(_ schedule: Schedule) -> (layers: String, overrides: String) {
        (
            "[" + schedule.layers.map { ConfigurationCodec.json($0) }.joined(separator: ",") + "]",
            "[" + schedule.overrides.map { ConfigurationCodec.json($0) }.joined(separator: ",") + "]"
        )
    }

    static func decode(id: String, name: String, timeZone: String, layers: String, overrides: String) throws -> Schedule {
        let text = #"{"id":\#(JSONText.quoted(id)),"name":\#(JSONText.quoted(name)),"time_zone":\#(JSONText.quoted(timeZone)),"layers":\#(layers),"overrides":\#(overrides)}"#
        return try ConfigurationCodec.decode(Schedule.self, from: text)
    }
}
