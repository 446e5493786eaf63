import Foundation
import GRDB
import SQLiteSupport
import Testing

/// Commits leave checkpoints (and their fdatasyncs) to the background connection, which keeps the WAL bounded.
@Suite struct WALDatabaseTests {
    func scratch() throws -> String {
        let dir = NSTemporaryDirectory() + "wal-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    func walBytes(_ path: String) -> Int64 {
        (try? FileManager.default.attributesOfItem(atPath: path + "-wal")[.size] as? NSNumber)?.int64Value ?? 0
    }

    /// Writes `n` commits of 16 KiB each (four pages or more).
    func write(_ db: WALDatabase, commits n: Int) throws {
        let blob = Data(repeating: 0xA5, count: 16 << 10)
        for _ in 0..<n {
            try db.pool.write { try $0.execute(sql: "INSERT INTO t (b) VALUES (?)", arguments: [blob]) }
        }
    }

    @Test func noCommitCheckpoints() throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/db.sqlite"
        let db = try WALDatabase(path: path, checkpointInterval: .seconds(3600))
        try db.pool.write { try $0.execute(sql: "CREATE TABLE t (id INTEGER PRIMARY KEY, b BLOB)") }
        try write(db, commits: 500)
        // SQLite's own rule would have checkpointed (and restarted the WAL) at 1,000 pages, about 4 MB; 2,000 pages stay in it.
        #expect(walBytes(path) > 8_000_000, "\(walBytes(path)) bytes of WAL")
        #expect(db.checkpoints == 0)
        #expect(try db.pool.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM t") } == 500)
    }

    @Test func theBackgroundConnectionCheckpointsWhatWasWrittenAndThenRests() async throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let db = try WALDatabase(path: dir + "/db.sqlite", checkpointInterval: .milliseconds(20))
        try await db.pool.write { try $0.execute(sql: "CREATE TABLE t (id INTEGER PRIMARY KEY, b BLOB)") }
        try write(db, commits: 20)
        let deadline = ContinuousClock.now + .seconds(20)
        while db.checkpoints == 0 && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
        #expect(db.checkpoints > 0, "the checkpointer ran")
        // Nothing written since: it looks every 20 ms and does nothing (at most one more for writes it overlapped).
        try await Task.sleep(for: .seconds(1))
        let settled = db.checkpoints
        try await Task.sleep(for: .milliseconds(600))
        #expect(db.checkpoints == settled, "an idle database is not checkpointed again")
        try write(db, commits: 5)
        let again = ContinuousClock.now + .seconds(20)
        while db.checkpoints == settled && ContinuousClock.now < again { try await Task.sleep(for: .milliseconds(10)) }
        #expect(db.checkpoints > settled, "new writes are checkpointed")
    }

    @Test func aWALPastItsLimitIsTruncated() async throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/db.sqlite"
        let db = try WALDatabase(path: path, checkpointInterval: .milliseconds(20), truncateAboveBytes: 1 << 20)
        try await db.pool.write { try $0.execute(sql: "CREATE TABLE t (id INTEGER PRIMARY KEY, b BLOB)") }
        // One transaction of about 4 MB: a checkpoint that starts meanwhile waits for it, so nothing is written after the truncation.
        let blob = Data(repeating: 0xA5, count: 16 << 10)
        try await db.pool.write { db in
            for _ in 0..<150 { try db.execute(sql: "INSERT INTO t (b) VALUES (?)", arguments: [blob]) }
        }
        let deadline = ContinuousClock.now + .seconds(20)
        while walBytes(path) > 0 && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
        #expect(walBytes(path) == 0, "TRUNCATE leaves an empty WAL file")
        #expect(try await db.pool.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM t") } == 150)
    }

    /// The memory budget reaches every connection: the writer's and each reader's page cache, and the pool's reader count.
    @Test func theBudgetBoundsEachConnectionsCacheAndTheReaders() async throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let db = try WALDatabase(path: dir + "/db.sqlite", budget: .small, checkpointInterval: .seconds(3600))
        #expect(try await db.pool.write { try Int.fetchOne($0, sql: "PRAGMA cache_size") } == -512)
        #expect(try await db.pool.read { try Int.fetchOne($0, sql: "PRAGMA cache_size") } == -512)
        #expect(db.pool.configuration.maximumReaderCount == 2)
        let standard = try WALDatabase(path: dir + "/standard.sqlite", checkpointInterval: .seconds(3600))
        #expect(try await standard.pool.read { try Int.fetchOne($0, sql: "PRAGMA cache_size") } == -2000)
        #expect(WALDatabase.MemoryBudget(cacheKiB: -5, readers: 0) == WALDatabase.MemoryBudget(cacheKiB: 64, readers: 1))
    }
}
