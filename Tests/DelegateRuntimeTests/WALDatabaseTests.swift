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

    @Test func theBackgroundCheckpointKeepsTheWALBounded() async throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/db.sqlite"
        let db = try WALDatabase(path: path, checkpointInterval: .milliseconds(20))
        try await db.pool.write { try $0.execute(sql: "CREATE TABLE t (id INTEGER PRIMARY KEY, b BLOB)") }
        var largest: Int64 = 0
        for _ in 0..<8 {
            let before = db.checkpoints
            try write(db, commits: 60)  // about 1.5 MB of frames
            largest = max(largest, walBytes(path))
            let deadline = ContinuousClock.now + .seconds(20)
            while db.checkpoints == before && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
            #expect(db.checkpoints > before, "the checkpointer ran")
        }
        // The 8 bursts write about 12 MB of WAL frames (16 KiB blobs plus their b-tree pages), all of which would stay without
        // checkpoints; after each checkpoint the next writer starts the WAL over, so it holds about one or two bursts.
        #expect(largest < 6_000_000, "\(largest) bytes of WAL after 8 bursts of about 1.5 MB")
        #expect(try await db.pool.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM t") } == 480)
    }
}
