import LLMCacheCore
import NIOCore

/// Records a server-sent-events stream as it passes through: the exact bytes, each chunk's
/// length and its delay after the previous one.
struct StreamCapture {
    private(set) var body = ByteBuffer()
    private(set) var chunks: [StreamChunk] = []
    private var last: ContinuousClock.Instant
    /// False once the stream outgrew the storable size; then it is relayed, not stored.
    private(set) var storable = true
    let maximumBytes: Int

    init(start: ContinuousClock.Instant, maximumBytes: Int) {
        self.last = start
        self.maximumBytes = maximumBytes
    }

    mutating func append(_ chunk: ByteBuffer, at instant: ContinuousClock.Instant) {
        guard storable else { return }
        guard body.readableBytes + chunk.readableBytes <= maximumBytes else {
            storable = false
            body = ByteBuffer()
            chunks = []
            return
        }
        let delay = instant - last
        last = instant
        let micros = delay.components.seconds * 1_000_000 + delay.components.attoseconds / 1_000_000_000_000
        chunks.append(
            StreamChunk(length: UInt32(chunk.readableBytes), delayMicroseconds: UInt32(clamping: max(0, micros))))
        var copy = chunk
        body.writeBuffer(&copy)
    }
}
