import LLMCacheCore
import NIOCore
import Testing

@testable import LLMCacheServer

/// `Flight.StateMachine` event by event, with plain strings for waiters and subscribers: no
/// continuations, no tasks, no I/O.
@Suite struct FlightStateMachineTests {
    typealias Machine = Flight.StateMachine<String, String, String, String>

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
        #expect(machine.unsubscribe(early) == nil, "no fetch waits")
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
        #expect(machine.stopRetaining() == ["e1"], "the end waiter learns at once that it must stream")
        #expect(machine.retained == nil)
        guard case .refuse = machine.subscribe("late") else { Issue.record("the start is gone: refuse"); return }
        guard case .complete(nil) = machine.waitForEnd("e2") else { Issue.record("open, not retained"); return }
        #expect(machine.receive(ByteBuffer(string: "more")).isEmpty)
        let end = machine.finish(.success(()))
        #expect(end.endWaiters.isEmpty)
        guard case .complete(nil) = machine.waitForEnd("e3") else { Issue.record("ended, not retained"); return }
    }

    // MARK: - Backpressure

    @Test func whileTheAnswerIsRetainedTheFetchNeverWaits() {
        var machine = Machine(relayBytes: 4)
        _ = machine.receiveHead(head)
        _ = machine.subscribe("slow")
        _ = machine.receive(ByteBuffer(string: "0123456789"))
        #expect(machine.waitForRoom("fetch") == .go(.proceed), "the subscriber shares the retained chunks")
    }

    @Test func onceNothingIsRetainedTheFetchWaitsForTheSlowestSubscriber() {
        var machine = Machine(relayBytes: 4)
        _ = machine.receiveHead(head)
        guard case .replayThenFollow(_, let fast) = machine.subscribe("fast"),
            case .replayThenFollow(_, let slow) = machine.subscribe("slow")
        else { Issue.record("an open flight takes subscribers"); return }
        _ = machine.stopRetaining()
        #expect(Set(machine.receive(ByteBuffer(string: "abc"))) == ["fast", "slow"])
        #expect(machine.waitForRoom("fetch") == .go(.proceed), "3 unread ≤ 4")
        _ = machine.receive(ByteBuffer(string: "def"))
        #expect(machine.waitForRoom("fetch") == .wait, "6 unread > 4")
        #expect(machine.taken(fast, bytes: 6) == nil, "the slow one still holds 6")
        guard let (released, room) = machine.taken(slow, bytes: 3) else {
            Issue.record("both within the limit: the fetch goes on"); return
        }
        #expect(released == "fetch" && room == .proceed)
    }

    @Test func takingReleasesTheFetchAndLeavingAbandonsIt() {
        var machine = Machine(relayBytes: 4)
        _ = machine.receiveHead(head)
        guard case .replayThenFollow(_, let only) = machine.subscribe("only") else {
            Issue.record("an open flight takes subscribers"); return
        }
        _ = machine.stopRetaining()
        _ = machine.receive(ByteBuffer(string: "abcdef"))
        #expect(machine.waitForRoom("fetch") == .wait)
        #expect(machine.taken(only, bytes: 1) == nil, "5 unread: still waiting")
        guard let (released, room) = machine.taken(only, bytes: 5) else {
            Issue.record("all taken: the fetch goes on"); return
        }
        #expect(released == "fetch" && room == .proceed)
        _ = machine.receive(ByteBuffer(string: "ghijkl"))
        #expect(machine.waitForRoom("fetch") == .wait)
        guard let (left, abandoned) = machine.unsubscribe(only) else {
            Issue.record("the last subscriber left: the fetch is told"); return
        }
        #expect(left == "fetch" && abandoned == .abandon)
        #expect(machine.waitForRoom("fetch") == .go(.abandon), "no one listens and nothing is kept")
    }

    @Test func aCancelledFetchIsTakenOutAndAnEndReleasesIt() {
        var machine = Machine(relayBytes: 0)
        _ = machine.receiveHead(head)
        _ = machine.subscribe("s")
        _ = machine.stopRetaining()
        _ = machine.receive(ByteBuffer(string: "x"))
        #expect(machine.waitForRoom("fetch") == .wait)
        #expect(machine.takeRoomWaiter() == "fetch")
        #expect(machine.takeRoomWaiter() == nil, "taken once")
        #expect(machine.waitForRoom("fetch again") == .wait)
        #expect(machine.finish(.success(())).roomWaiter == "fetch again")
    }

    @Test func aRelayKeepsNothingButTakesSubscribersUntilAChunkGoesBy() {
        var machine = Machine(retaining: false)
        _ = machine.receiveHead(head)
        guard case .replayThenFollow(let none, _) = machine.subscribe("client") else {
            Issue.record("nothing dropped yet: subscribe"); return
        }
        #expect(none.isEmpty)
        guard case .complete(nil) = machine.waitForEnd("e") else { Issue.record("a relay has no whole body"); return }
        _ = machine.receive(ByteBuffer(string: "a"))
        guard case .refuse = machine.subscribe("late") else { Issue.record("a chunk went by: refuse"); return }
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
