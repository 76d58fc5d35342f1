/// What the records written under one dictionary (or none) compressed to: the raw payloads
/// (metadata and body), the payloads as stored, and the whole records (header, request
/// description and stored payload — what the store holds).
public struct DictionaryUsage: Sendable, Equatable {
    public var records = 0
    public var rawBytes = 0
    public var storedBytes = 0
    public var recordBytes = 0

    public init(records: Int = 0, rawBytes: Int = 0, storedBytes: Int = 0, recordBytes: Int = 0) {
        self.records = records
        self.rawBytes = rawBytes
        self.storedBytes = storedBytes
        self.recordBytes = recordBytes
    }

    /// Raw payload bytes per stored payload byte (1 when nothing was written).
    public var payloadRatio: Double { storedBytes == 0 ? 1 : Double(rawBytes) / Double(storedBytes) }

    /// Raw payload bytes per record byte: what the store's `compression_ratio` counts.
    public var recordRatio: Double { recordBytes == 0 ? 1 : Double(rawBytes) / Double(recordBytes) }

    mutating func add(_ record: RecordCodec.Measured) {
        records += 1
        rawBytes += record.rawLength
        storedBytes += record.storedLength
        recordBytes += record.bytes.count
    }

    mutating func add(_ other: DictionaryUsage) {
        records += other.records
        rawBytes += other.rawBytes
        storedBytes += other.storedBytes
        recordBytes += other.recordBytes
    }

    /// What was written between `earlier` and this.
    func since(_ earlier: DictionaryUsage) -> DictionaryUsage {
        DictionaryUsage(
            records: records - earlier.records, rawBytes: rawBytes - earlier.rawBytes,
            storedBytes: storedBytes - earlier.storedBytes, recordBytes: recordBytes - earlier.recordBytes)
    }
}

/// One dictionary of a store (id 0: records written without one) and what the writes since
/// the start compressed to with it.
public struct DictionaryReport: Sendable, Equatable {
    public var id: UInt32
    /// New writes use it.
    public var isCurrent: Bool
    public var usage: DictionaryUsage
}
