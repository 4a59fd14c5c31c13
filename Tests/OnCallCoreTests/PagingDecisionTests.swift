import Testing
@testable import OnCallCore

/// Urgency and maintenance windows: which incidents page, and when a quiet one starts escalating.
@Suite("Paging decision")
struct PagingDecisionTests {
    let now = Timestamp(secondsSince1970: 1_800_000_000)

    func window(_ fromMinutes: Int64, _ toMinutes: Int64) -> PagingDecision.Window {
        .init(start: now + .seconds(fromMinutes * 60), end: now + .seconds(toMinutes * 60))
    }

    @Test(arguments: Severity.allCases)
    func lowAndInfoPageNoOneUnlessTheServiceSaysSo(severity: Severity) {
        let quiet = PagingDecision.decide(severity: severity, pageLowSeverity: false, windows: [], now: now)
        #expect(quiet.shouldPage == (severity > .low))
        #expect(quiet.quietUntil == nil, "urgency is not a window: nothing to wait for")
        #expect(PagingDecision.decide(severity: severity, pageLowSeverity: true, windows: [], now: now).shouldPage)
    }

    @Test func aRunningWindowKeepsItQuietUntilItsEnd() {
        let decision = PagingDecision.decide(severity: .critical, pageLowSeverity: false, windows: [window(-10, 30)], now: now)
        #expect(!decision.shouldPage)
        #expect(decision.quietUntil == now + .seconds(1800))
    }

    @Test func windowsAheadOrPastDoNotCountAndTheEndIsExclusive() {
        #expect(PagingDecision.decide(severity: .high, pageLowSeverity: false, windows: [window(5, 30), window(-60, -1)], now: now).shouldPage)
        #expect(PagingDecision.decide(severity: .high, pageLowSeverity: false, windows: [window(-30, 0)], now: now).shouldPage)
        #expect(!PagingDecision.decide(severity: .high, pageLowSeverity: false, windows: [window(0, 1)], now: now).shouldPage)
    }

    @Test func overlappingAndTouchingWindowsMerge() {
        let decision = PagingDecision.decide(severity: .high, pageLowSeverity: false, windows: [window(60, 90), window(-10, 30), window(20, 60), window(120, 200)], now: now)
        #expect(decision.quietUntil == now + .seconds(90 * 60))
    }

    @Test func anIncidentOpenedInAWindowEscalatesWhenTheWindowEnds() {
        var parameters = WorkflowInterpreterTests.twoLayers
        parameters.shouldPage = false
        parameters.maintenanceRemaining = .seconds(1200)
        var d = IncidentDriver(WorkflowFiles.incident, severity: .critical, parameters: parameters, now: now)
        #expect(d.snapshot.state == "triggered")
        #expect(d.pages.isEmpty)
        #expect(d.due("maintenance_over") == now + .seconds(1200))
        d.parameters.shouldPage = true
        d.parameters.maintenanceRemaining = nil
        d.fire("maintenance_over")
        #expect(d.snapshot.state == "escalating")
        #expect(d.pages == [.page(layer: 1, round: 0)])
        #expect(d.last.journal.map(\.kind).contains("maintenance.ended"))
    }

    @Test func anIncidentResolvedDuringTheWindowNeverPages() {
        var parameters = WorkflowInterpreterTests.twoLayers
        parameters.shouldPage = false
        parameters.maintenanceRemaining = .seconds(1200)
        var d = IncidentDriver(WorkflowFiles.incident, severity: .critical, parameters: parameters, now: now)
        d.send(.resolve)
        #expect(d.snapshot.state == "resolved")
        #expect(d.snapshot.timers["maintenance_over"] == nil)
        #expect(d.last.timerChanges.contains(.cancel(name: "maintenance_over")))
    }

    @Test func aLowSeverityIncidentArmsNoMaintenanceTimer() {
        var parameters = WorkflowInterpreterTests.twoLayers
        parameters.shouldPage = false
        let d = IncidentDriver(WorkflowFiles.incident, severity: .low, parameters: parameters, now: now)
        #expect(d.snapshot.state == "triggered")
        #expect(d.snapshot.timers.isEmpty)
    }
}

/// A repeated alert at a higher severity raises the incident's, and may start paging a quiet one.
@Suite("Severity raised by a repeat")
struct SeverityRaiseTests {
    let now = Timestamp(secondsSince1970: 1_800_000_000)

    @Test func aLowIncidentTurningCriticalStartsEscalating() {
        var parameters = WorkflowInterpreterTests.twoLayers
        parameters.shouldPage = false
        var d = IncidentDriver(WorkflowFiles.incident, severity: .low, parameters: parameters, now: now)
        #expect(d.snapshot.state == "triggered")
        d.parameters.shouldPage = true  // what the engine computes for the raised severity
        d.send(.alert(severity: .critical), by: "integration:zabbix")
        #expect(d.snapshot.severity == .critical && d.snapshot.alertCount == 2)
        #expect(d.snapshot.state == "escalating")
        #expect(d.pages == [.page(layer: 1, round: 0)])
        #expect(d.last.journal.contains { $0.kind == "severity.raised" && $0.detail == ["from": "low", "to": "critical"] })
    }

    @Test func aRepeatAtALowerSeverityChangesNothingButTheCount() {
        var d = IncidentDriver(WorkflowFiles.incident, severity: .high, parameters: WorkflowInterpreterTests.twoLayers, now: now)
        d.send(.alert(severity: .info))
        #expect(d.snapshot.severity == .high && d.snapshot.alertCount == 2)
        #expect(!d.last.journal.contains { $0.kind == "severity.raised" })
        #expect(d.pages.isEmpty, "a repeat does not page again")
    }
}
