import Foundation
import GRDB
import Synchronization

/// A SQLite file in WAL mode for a long-running service: commits append to the WAL, a background connection checkpoints.
///
/// With SQLite's default, the commit that takes the WAL past 1,000 pages runs
/// the checkpoint itself: three `fdatasync`s, 4-10 ms here, in whichever request
/// happened to commit (the p99 of a dispatch, docs/benchmarks.md). Here every
/// connection of the pool has `wal_autocheckpoint = 0`, and a connection of its
/// own checkpoints every `checkpointInterval` while the WAL has grown (`PASSIVE`:
/// it copies what it can and never waits for, or blocks, readers or writers;
/// the next writer then starts the WAL over). Durability is SQLite's
/// `synchronous = NORMAL` in WAL mode, as before: a killed process loses no
/// committed transaction, a power cut may lose the last ones, the file stays consistent.
///
/// A WAL that still grows past `truncateAboveBytes` (a reader that never lets
/// go) is checkpointed with `TRUNCATE`, which waits for readers, as SQLite's own
/// checkpoint would have.
///
/// Its memory is bounded by `MemoryBudget`: each connection's page cache holds
/// at most `cacheKiB`, and the pool opens at most `readers` reading connections
/// besides the writer and the checkpointer.
public final class WALDatabase: Sendable {
    /// How much memory the file's connections may keep: the page cache of each, and how many readers there are.
    public struct MemoryBudget: Sendable, Equatable {
        /// Page cache per connection, in KiB (SQLite's `cache_size = -N`).
        public var cacheKiB: Int
        /// Reading connections at most (GRDB's `maximumReaderCount`).
        public var readers: Int

        /// A budget of `cacheKiB` per connection and `readers` readers (each at least 1).
        public init(cacheKiB: Int, readers: Int) {
            self.cacheKiB = max(64, cacheKiB)
            self.readers = max(1, readers)
        }

        /// SQLite's default page cache (2,000 KiB) and GRDB's default of 5 readers: up to 14 MiB of cache in all.
        public static let standard = MemoryBudget(cacheKiB: 2000, readers: 5)
        /// For a small daemon whose state is a journal and a spool: 512 KiB per connection, 2 readers (2 MiB in all).
        public static let small = MemoryBudget(cacheKiB: 512, readers: 2)
    }

    /// The pool every read and write goes through.
    public let pool: DatabasePool
    /// Checkpoints run so far (for tests and figures).
    public var checkpoints: Int { stats.checkpoints.load(ordering: .relaxed) }

    private final class Stats: Sendable {
        let checkpoints = Atomic<Int>(0)
    }
    private let stats = Stats()
    private let checkpointer: Task<Void, Never>

    /// Opens (creating) the database at `path` and starts its checkpointer.
    public init(path: String, budget: MemoryBudget = .standard, checkpointInterval: Duration = .seconds(1), truncateAboveBytes: Int64 = 64 << 20) throws {
        let cacheSize = "PRAGMA cache_size = -\(budget.cacheKiB)"
        var config = Configuration()
        config.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
            try db.execute(sql: "PRAGMA wal_autocheckpoint = 0")
            try db.execute(sql: cacheSize)
        }
        config.busyMode = .timeout(5)
        config.maximumReaderCount = budget.readers
        pool = try DatabasePool(path: path, configuration: config)
        var own = Configuration()
        own.busyMode = .timeout(5)
        own.prepareDatabase { db in try db.execute(sql: cacheSize) }
        let connection = try DatabaseQueue(path: path, configuration: own)
        let stats = self.stats
        let walPath = path + "-wal"
        checkpointer = Task.detached(priority: .utility) {
            var checkpointed: WALState?
            while !Task.isCancelled {
                try? await Task.sleep(for: checkpointInterval)
                // Nothing written since the last checkpoint (a WAL starting over keeps its size, not its mtime): nothing to do.
                guard let now = WALState(walPath), now.size > 0, now != checkpointed || now.size > truncateAboveBytes else { continue }
                let mode: Database.CheckpointMode = now.size > truncateAboveBytes ? .truncate : .passive
                if (try? connection.inDatabase({ db in try db.checkpoint(mode) })) != nil {
                    stats.checkpoints.add(1, ordering: .relaxed)
                    checkpointed = now
                }
            }
        }
    }

    deinit {
        checkpointer.cancel()
    }
}

/// The WAL file's size and modification time: whether anything was written since it was last seen.
private struct WALState: Equatable {
    var size: Int64
    var modified: Date

    init?(_ path: String) {
        guard let a = try? FileManager.default.attributesOfItem(atPath: path),
              let size = (a[.size] as? NSNumber)?.int64Value, let modified = a[.modificationDate] as? Date else { return nil }
        self.size = size
        self.modified = modified
    }
}
