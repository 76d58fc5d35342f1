import LLMCacheCore
import NIOCore
import Testing

@testable import LLMCacheServer

/// `Flight.StateMachine` event by event, with plain strings for waiters and subscribers: no
/// continuations, no tasks, no I/O.
@Suite struct FlightStateMachineTests {
    typealias Machine = Flight.StateMachine<String, String, String>

    let head = Flight.Head(status: 200, headers: [HeaderField(name: "content-type", value: "application/json")])
    let failure = ProxyError(status: .badGateway, type: "upstream_unreachable", message: "down")

    func text(_ chunks: [ByteBuffer]) -> String { chunks.map { String(buffer: $0) }.joined() }

    @Test func headWaitersWaitUntilTheHeadArrivesThenResumeAtOnce() {
        var machine = Machine()
        guard case .wait = machine.waitForHead("w1") else { Issue.record("no head yet: wait"); return }
        guard case .wait = machine.waitForHead("w2") else { Issue.record("no head yet: wait"); return }
        #expect(machine.receiveHead(head) == ["w1", "w2"])
        guard case .resume(let got) = machine.waitForHead("w3") else { Issue.record("head known: resume"); return }
        #expect(got.status == 200)
    }

    @Test func subscribersReplayWhatArrivedThenFollowUntilTheEnd() {
        var machine = Machine()
        guard case .replayThenFollow(let none, let early) = machine.subscribe("early") else {
            Issue.record("an open flight takes subscribers"); return
        }
        #expect(none.isEmpty)
        _ = machine.receiveHead(head)
        #expect(machine.receive(ByteBuffer(string: "a")) == ["early"])
        guard case .replayThenFollow(let replay, let late) = machine.subscribe("late") else {
            Issue.record("an open flight takes late subscribers"); return
        }
        #expect(text(replay) == "a")
        #expect(late != early)
        #expect(Set(machine.receive(ByteBuffer(string: "b"))) == ["early", "late"])
        machine.unsubscribe(early)
        #expect(machine.receive(ByteBuffer(string: "c")) == ["late"])
        let end = machine.finish(.success(()))
        #expect(end.subscribers == ["late"])
        #expect(end.failedHeadWaiters.isEmpty && end.error == nil)
        guard case .replayThenEnd(let whole, .success) = machine.subscribe("after") else {
            Issue.record("an ended flight replays everything and ends"); return
        }
        #expect(text(whole) == "abc")
    }

    @Test func theCompleteBodyIsJoinedForEndWaitersAndLateOnes() {
        var machine = Machine()
        _ = machine.receiveHead(head)
        guard case .wait = machine.waitForEnd("e1") else { Issue.record("open: wait for the end"); return }
        _ = machine.receive(ByteBuffer(string: "{\"a\":"))
        _ = machine.receive(ByteBuffer(string: "1}"))
        let end = machine.finish(.success(()))
        #expect(end.endWaiters == ["e1"])
        #expect(end.body.map { String(buffer: $0) } == "{\"a\":1}")
        guard case .complete(let body?) = machine.waitForEnd("e2") else { Issue.record("ended: complete"); return }
        #expect(String(buffer: body) == "{\"a\":1}")
    }

    @Test func anAnswerTooLargeToRetainIsNotReplayedNorJoined() {
        var machine = Machine()
        _ = machine.receiveHead(head)
        guard case .wait = machine.waitForEnd("e1") else { Issue.record("open: wait"); return }
        _ = machine.receive(ByteBuffer(string: "big"))
        machine.stopRetaining()
        #expect(machine.retained == nil)
        guard case .refuse = machine.subscribe("late") else { Issue.record("the start is gone: refuse"); return }
        #expect(machine.receive(ByteBuffer(string: "more")).isEmpty)
        let end = machine.finish(.success(()))
        #expect(end.endWaiters == ["e1"])
        #expect(end.body == nil, "too large to join: the waiter streams instead")
        guard case .complete(nil) = machine.waitForEnd("e2") else { Issue.record("ended, not retained"); return }
    }

    @Test func aFailureBeforeTheHeadFailsEveryone() {
        var machine = Machine()
        _ = machine.waitForHead("h")
        _ = machine.subscribe("s")
        _ = machine.waitForEnd("e")
        let end = machine.finish(.failure(failure))
        #expect(end.failedHeadWaiters == ["h"])
        #expect(end.error?.type == "upstream_unreachable")
        #expect(end.subscribers == ["s"] && end.endWaiters == ["e"])
        guard case .fail(let error) = machine.waitForHead("late") else { Issue.record("failed: fail"); return }
        #expect(error.type == "upstream_unreachable")
        guard case .fail = machine.waitForEnd("late") else { Issue.record("failed: fail"); return }
        guard case .replayThenEnd(let nothing, .failure) = machine.subscribe("late") else {
            Issue.record("failed: replay nothing, then the failure"); return
        }
        #expect(nothing.isEmpty)
    }

    @Test func aFailureAfterTheHeadKeepsTheHeadForLateWaiters() {
        var machine = Machine()
        _ = machine.receiveHead(head)
        _ = machine.receive(ByteBuffer(string: "data: partial\n\n"))
        let end = machine.finish(.failure(failure))
        #expect(end.failedHeadWaiters.isEmpty, "the head had already been delivered")
        guard case .resume(let got) = machine.waitForHead("late") else { Issue.record("head known"); return }
        #expect(got.status == 200)
        guard case .fail = machine.waitForEnd("late") else { Issue.record("the body failed"); return }
    }

    @Test func aSecondEndChangesNothing() {
        var machine = Machine()
        _ = machine.receiveHead(head)
        _ = machine.subscribe("s")
        _ = machine.finish(.success(()))
        let again = machine.finish(.failure(failure))
        #expect(again.subscribers.isEmpty && again.endWaiters.isEmpty && again.failedHeadWaiters.isEmpty)
        guard case .complete = machine.waitForEnd("late") else { Issue.record("still a success"); return }
        #expect(machine.isEnded)
    }
}
