import Testing
@testable import OnCallCore

/// The incident workflow's semantics, driven with a manual clock: no sleeps, no I/O.
@Suite("Incident workflow semantics")
struct WorkflowInterpreterTests {
    static let twoLayers = WorkflowParameters(layers: [.init(delay: .seconds(300)), .init(delay: .seconds(600))], repeatCount: 2)

    func driver(_ parameters: WorkflowParameters = twoLayers, severity: Severity = .high) -> IncidentDriver {
        IncidentDriver(WorkflowFiles.incident, severity: severity, parameters: parameters)
    }

    @Test func aNewIncidentEscalatesAtOnceAndPagesLayerOne() {
        let d = driver()
        #expect(d.snapshot.state == "escalating")
        #expect(d.last.effects == [.publish(.created), .page(layer: 1, round: 0)])
        #expect(d.due("layer_timeout") == d.now + .seconds(300))
        #expect(d.snapshot.timers["auto_resolve"] == nil, "the service sets no auto-resolve")
        #expect(d.last.journal.map(\.kind) == ["incident.opened", "state.changed", "layer.paged"])
        #expect(d.last.timerChanges == [.arm(name: "layer_timeout", generation: 1, dueAt: d.now + .seconds(300))])
    }

    @Test func anIncidentThatShouldNotPageStaysTriggered() {
        var parameters = Self.twoLayers
        parameters.shouldPage = false
        let d = driver(parameters)
        #expect(d.snapshot.state == "triggered")
        #expect(d.last.effects == [.publish(.created)])
        #expect(d.snapshot.timers.isEmpty)
    }

    @Test func afterALayersDelayTheNextLayerIsPaged() {
        var d = driver()
        let firstGeneration = d.snapshot.timers["layer_timeout"]!.generation
        d.fire("layer_timeout")
        #expect(d.snapshot.state == "escalating")
        #expect(d.pages == [.page(layer: 2, round: 0)])
        #expect(d.last.effects.contains(.publish(.escalated)))
        #expect(d.due("layer_timeout") == d.now + .seconds(600), "layer 2's own delay")
        #expect(d.snapshot.timers["layer_timeout"]!.generation > firstGeneration)
    }

    @Test func repeatsAreCountedThenEscalationIsExhausted() {
        var d = driver()
        var pages: [WorkflowEffect] = [.page(layer: 1, round: 0)]
        for _ in 0..<5 {
            d.fire("layer_timeout")
            pages += d.pages
        }
        #expect(pages == [
            .page(layer: 1, round: 0), .page(layer: 2, round: 0),
            .page(layer: 1, round: 1), .page(layer: 2, round: 1),
            .page(layer: 1, round: 2), .page(layer: 2, round: 2),
        ])
        #expect(d.snapshot.round == 2 && !d.snapshot.exhausted)
        d.fire("layer_timeout")
        #expect(d.pages.isEmpty)
        #expect(d.snapshot.exhausted)
        #expect(d.snapshot.state == "escalating", "stays escalating, visible to ops")
        #expect(d.snapshot.timers["layer_timeout"] == nil)
        #expect(d.last.journal.contains { $0.kind == "escalation.exhausted" })
    }

    @Test func aLayerWithNobodyOnCallIsSkippedAtOnce() {
        var parameters = WorkflowParameters(layers: [.init(delay: .seconds(60)), .init(delay: .seconds(60), covered: false), .init(delay: .seconds(120))])
        var d = driver(parameters)
        d.fire("layer_timeout")
        #expect(d.pages == [.page(layer: 3, round: 0)])
        #expect(d.last.journal.contains { $0.kind == "layer.uncovered" && $0.detail["layer"] == "2" })
        #expect(d.due("layer_timeout") == d.now + .seconds(120))

        parameters.layers = [.init(delay: .seconds(60), covered: false), .init(delay: .seconds(60), covered: false)]
        let nobody = driver(parameters)
        #expect(nobody.last.effects == [.publish(.created)])
        #expect(nobody.last.journal.filter { $0.kind == "layer.uncovered" }.count == 2)
        #expect(nobody.due("layer_timeout") == nobody.now, "the round ends at once; the timer decides what next")
        var rest = nobody
        rest.fire("layer_timeout")
        #expect(rest.snapshot.exhausted, "no repeats and nobody anywhere: exhausted, not a busy loop")
    }

    @Test func acknowledgeStopsEscalationAndOpensTheTicket() {
        var parameters = Self.twoLayers
        parameters.ackTimeout = .seconds(1800)
        var d = driver(parameters)
        d.advance(.seconds(10))
        d.send(.acknowledge)
        #expect(d.snapshot.state == "acknowledged")
        #expect(d.snapshot.timers["layer_timeout"] == nil)
        #expect(d.last.effects == [.cancelPages, .publish(.acknowledged), .psa(.createTicket, note: nil)])
        #expect(d.due("ack_timeout") == d.now + .seconds(1800))
        #expect(d.last.timerChanges.contains(.cancel(name: "layer_timeout")))
        #expect(d.last.journal.contains { $0.kind == "state.changed" && $0.actor == "technician:alice" })
    }

    @Test func withoutAnAckTimeoutAcknowledgedStaysAcknowledged() {
        var d = driver()
        d.send(.acknowledge)
        #expect(d.snapshot.timers.isEmpty)
    }

    @Test func theAckTimeoutSendsItBackToLayerOne() {
        var parameters = Self.twoLayers
        parameters.ackTimeout = .seconds(1800)
        var d = driver(parameters)
        d.fire("layer_timeout")
        d.fire("layer_timeout")
        #expect(d.snapshot.round == 1)
        d.send(.acknowledge)
        d.fire("ack_timeout")
        #expect(d.snapshot.state == "escalating")
        #expect(d.pages == [.page(layer: 1, round: 0)], "from layer 1, round count reset")
        #expect(d.last.journal.contains { $0.kind == "acknowledgement.expired" })
    }

    @Test func snoozeKeepsItAcknowledgedUntilTheSnoozeEnds() {
        var parameters = Self.twoLayers
        parameters.ackTimeout = .seconds(1800)
        var d = driver(parameters)
        d.send(.acknowledge)
        d.advance(.seconds(60))
        d.send(.snooze(.seconds(3600)))
        #expect(d.snapshot.state == "acknowledged")
        #expect(d.snapshot.timers["ack_timeout"] == nil, "the snooze replaces the ack timeout")
        #expect(d.due("snooze_ended") == d.now + .seconds(3600))
        d.fire("snooze_ended")
        #expect(d.snapshot.state == "escalating")
        #expect(d.pages == [.page(layer: 1, round: 0)])
    }

    @Test(arguments: ["triggered", "escalating", "acknowledged"])
    func resolveWorksFromEveryOpenState(from state: String) {
        var parameters = Self.twoLayers
        parameters.autoResolve = .seconds(14400)
        parameters.ackTimeout = .seconds(600)
        parameters.shouldPage = state != "triggered"
        var d = driver(parameters)
        if state == "acknowledged" { d.send(.acknowledge) }
        #expect(d.snapshot.state == state)
        #expect(!d.snapshot.timers.isEmpty)
        d.send(.resolve)
        #expect(d.snapshot.state == "resolved")
        #expect(d.snapshot.timers.isEmpty, "leaving the open states cancels every timer")
        #expect(d.last.effects == [.cancelPages, .publish(.resolved), .psa(.resolveTicket, note: nil)])
        #expect(!d.last.timerChanges.contains { if case .arm = $0 { true } else { false } })
    }

    @Test func autoResolveFiresAndEachNewAlertPushesItBack() {
        var parameters = Self.twoLayers
        parameters.autoResolve = .seconds(14400)
        var d = driver(parameters)
        let firstDue = d.due("auto_resolve")!
        let staleGeneration = d.snapshot.timers["auto_resolve"]!.generation
        d.advance(.seconds(3600))
        d.send(.alert(), by: "integration:nagios")
        #expect(d.snapshot.alertCount == 2 && d.snapshot.lastAlertAt == d.now)
        #expect(d.pages.isEmpty, "a deduplicated alert pages no one")
        #expect(d.due("auto_resolve") == d.now + .seconds(14400))
        #expect(d.due("auto_resolve")! > firstDue)

        d.now = firstDue
        let stale = d.send(.timer(name: "auto_resolve", generation: staleGeneration))
        #expect(stale.disposition == .staleTimer)
        #expect(d.snapshot.state == "escalating")

        d.fire("auto_resolve")
        #expect(d.snapshot.state == "resolved")
        #expect(d.last.journal.contains { $0.kind == "incident.auto_resolved" })
    }

    @Test func aTimerOfAStateThatWasLeftIsIgnored() {
        var d = driver()
        let old = d.snapshot.timers["layer_timeout"]!
        d.send(.acknowledge)
        d.now = old.dueAt
        let outcome = d.send(.timer(name: "layer_timeout", generation: old.generation))
        #expect(outcome.disposition == .staleTimer)
        #expect(outcome.effects.isEmpty && outcome.timerChanges.isEmpty && outcome.journal.isEmpty)
        #expect(d.snapshot.state == "acknowledged")
        // Unacknowledge re-enters escalating: the old generation is still stale against the new timer.
        d.send(.unacknowledge)
        #expect(d.send(.timer(name: "layer_timeout", generation: old.generation)).disposition == .staleTimer)
    }

    @Test func escalateToALayerByHand() {
        var d = driver()
        d.send(.acknowledge)
        d.send(.escalate(layer: 2))
        #expect(d.snapshot.state == "escalating")
        #expect(d.pages == [.page(layer: 2, round: 0)])
        #expect(d.due("layer_timeout") == d.now + .seconds(600))
        let refused = d.send(.escalate(layer: 9))
        #expect(refused.disposition == .refused("escalate does not apply to this incident now (state escalating)"))
    }

    @Test func reassignToATechnicianPagesThemAndEscalationGoesOnFromTheCurrentLayer() {
        var d = driver()
        d.send(.acknowledge)
        d.send(.reassign(.technician("bob")), by: "technician:alice")
        #expect(d.snapshot.state == "escalating", "bob must acknowledge it himself")
        #expect(d.last.effects.contains(.pageTechnician("bob")) && d.pages.isEmpty, "bob, not a layer")
        #expect(d.snapshot.assignee == "bob" && d.snapshot.layer == 1)
        #expect(d.last.journal.first?.kind == "incident.reassigned" && d.last.journal.first?.detail == ["technician": "bob"])
        #expect(d.last.journal.first?.actor == "technician:alice")
        #expect(d.due("layer_timeout") == d.now + .seconds(300), "the current layer's delay")
        #expect(d.send(.reassign(.technician("bob"))).disposition == .unchanged, "a repeat changes nothing")
        d.fire("layer_timeout")
        #expect(d.pages == [.page(layer: 2, round: 0)], "not acknowledged: the policy goes on")
        #expect(d.snapshot.assignee == nil)
    }

    @Test func reassignBeforeAnyPageGivesTheTechnicianTheFirstLayersDelay() {
        var parameters = Self.twoLayers
        parameters.shouldPage = false
        var d = driver(parameters)
        #expect(d.snapshot.state == "triggered" && d.snapshot.layer == 0)
        d.send(.reassign(.technician("bob")))
        #expect(d.last.effects.contains(.pageTechnician("bob")))
        #expect(d.due("layer_timeout") == d.now + .seconds(300))
    }

    @Test func reassignToAPolicyStartsItsFirstLayer() {
        var d = driver()
        d.fire("layer_timeout")
        #expect(d.snapshot.layer == 2)
        // The engine passes the new policy's layers with the event; here: one layer of 2 minutes.
        d.parameters = WorkflowParameters(layers: [.init(delay: .seconds(120))])
        d.send(.reassign(.policy("network")))
        #expect(d.snapshot.policy == "network" && d.snapshot.layer == 1 && d.snapshot.round == 0)
        #expect(d.pages == [.page(layer: 1, round: 0)])
        #expect(d.due("layer_timeout") == d.now + .seconds(120))
        #expect(d.send(.reassign(.policy("network"))).disposition == .unchanged)
    }

    @Test func forceRunsTheExitAndEntryOfAnyStateAndRecordsWhy() {
        var d = driver()
        d.fire("layer_timeout")
        d.fire("layer_timeout")
        d.send(.force(state: "escalating", reason: "layer 2 was on holiday"), by: "ops")
        #expect(d.pages == [.page(layer: 1, round: 0)], "re-entering escalating starts at layer 1 again")
        let forced = d.last.journal.first
        #expect(forced?.kind == "state.forced" && forced?.actor == "ops")
        #expect(forced?.detail == ["from": "escalating", "to": "escalating", "reason": "layer 2 was on holiday"])
        d.send(.force(state: "resolved", reason: "duplicate of #12"), by: "ops")
        #expect(d.snapshot.state == "resolved" && d.snapshot.timers.isEmpty)
        #expect(d.last.effects.contains(.publish(.resolved)) && d.last.effects.contains(.cancelPages))
        guard case .refused(let message) = d.send(.force(state: "escalating", reason: "reopen")).disposition else {
            Issue.record("a final state cannot be left")
            return
        }
        #expect(message.contains("resolved"))
        var other = driver()
        guard case .refused(let unknown) = other.send(.force(state: "limbo", reason: "x")).disposition else {
            Issue.record("an unknown state is refused")
            return
        }
        #expect(unknown.contains("limbo") && unknown.contains("acknowledged"))
    }

    @Test func notesGoToTheTicketOnlyOnceItExists() {
        var d = driver()
        d.send(.note("checked the UPS"))
        #expect(d.last.effects == [.publish(.noteAdded)])
        #expect(d.last.journal.first { $0.kind == "note.added" }?.detail["text"] == "checked the UPS")
        d.send(.acknowledge)
        d.send(.note("replaced the battery"))
        #expect(d.last.effects == [.publish(.noteAdded), .psa(.addNote, note: "replaced the battery")])
    }

    /// Every state against every event: what is allowed, what is a harmless repeat, what is refused.
    @Test func everyStateAgainstEveryEvent() {
        let events: [(String, IncidentEvent.Kind)] = [
            ("alert", .alert()), ("acknowledge", .acknowledge), ("unacknowledge", .unacknowledge), ("resolve", .resolve),
            ("note", .note("n")), ("escalate", .escalate(layer: 1)), ("snooze", .snooze(.seconds(60))),
            ("reassign", .reassign(.technician("bob"))),
        ]
        // A = applied, U = unchanged (repeat of what is already true), R = refused.
        let expected: [String: String] = [
            "triggered": "AARAAARA",
            "escalating": "AARAAARA",
            "acknowledged": "AUAAAAAA",
            "resolved": "RRRUARRR",
        ]
        for (state, row) in expected {
            for ((name, kind), code) in zip(events, row) {
                var parameters = Self.twoLayers
                parameters.shouldPage = state != "triggered"
                var d = driver(parameters)
                if state == "acknowledged" { d.send(.acknowledge) }
                if state == "resolved" { d.send(.resolve) }
                #expect(d.snapshot.state == state)
                let before = d.snapshot
                let outcome = d.send(kind)
                switch code {
                case "A": #expect(outcome.disposition == .applied, "\(name) in \(state)")
                case "U":
                    #expect(outcome.disposition == .unchanged, "\(name) in \(state)")
                    #expect(outcome.snapshot == before)
                default:
                    guard case .refused(let message) = outcome.disposition else {
                        Issue.record("\(name) in \(state) should be refused, got \(outcome.disposition)")
                        continue
                    }
                    #expect(message.contains(state), "the refusal names the state: \(message)")
                    #expect(outcome.snapshot == before && outcome.effects.isEmpty)
                }
            }
        }
    }
}

@Suite("A second workflow changes behaviour without code")
struct SecondWorkflowTests {
    static let parameters = WorkflowParameters(
        layers: [.init(delay: .seconds(300)), .init(delay: .seconds(300)), .init(delay: .seconds(300))],
        repeatCount: 1, ackTimeout: .seconds(60)
    )

    @Test func criticalIncidentsStartAtLayerTwo() {
        let critical = IncidentDriver(WorkflowFiles.criticalFirst, severity: .critical, parameters: Self.parameters)
        #expect(critical.last.effects.contains(.page(layer: 2, round: 0)))
        let high = IncidentDriver(WorkflowFiles.criticalFirst, severity: .high, parameters: Self.parameters)
        #expect(high.last.effects.contains(.page(layer: 1, round: 0)))
        let sameService = IncidentDriver(WorkflowFiles.incident, severity: .critical, parameters: Self.parameters)
        #expect(sameService.last.effects.contains(.page(layer: 1, round: 0)), "the standard workflow starts everyone at layer 1")
    }

    @Test func acknowledgedHasNoAckTimeoutEvenWhenTheServiceSetsOne() {
        var d = IncidentDriver(WorkflowFiles.criticalFirst, severity: .critical, parameters: Self.parameters)
        d.send(.acknowledge)
        #expect(d.snapshot.state == "acknowledged")
        #expect(d.snapshot.timers.isEmpty)
        var standard = IncidentDriver(WorkflowFiles.incident, severity: .critical, parameters: Self.parameters)
        standard.send(.acknowledge)
        #expect(standard.snapshot.timers["ack_timeout"] != nil)
    }
}
