import Foundation

/// Reads a file named by input (a pipeline's manifest, a connector file, a config): a regular file, at most so many bytes, checked before reading.
///
/// `FileManager.contents(atPath:)` reads whatever it is given to the end, so
/// `/dev/zero` or a FIFO named in a file would never end or exhaust memory.
public enum BoundedFile {
    /// Why a file could not be read, in a sentence naming it: `cannot read PATH`, `PATH is not a regular file`, `PATH is N bytes; the limit is M bytes`.
    public struct Problem: Error, Sendable, Equatable, CustomStringConvertible {
        /// The sentence.
        public var description: String
    }

    /// The bytes of the regular file at `path`, at most `maxBytes` of them.
    public static func read(_ path: String, maxBytes: Int) throws(Problem) -> Data {
        // Symbolic links are followed: a linked manifest is as good as the file it names.
        let target = URL(fileURLWithPath: path).resolvingSymlinksInPath().path
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: target) else {
            throw Problem(description: "cannot read \(path)")
        }
        guard attributes[.type] as? FileAttributeType == .typeRegular else {
            throw Problem(description: "\(path) is not a regular file")
        }
        let size = (attributes[.size] as? NSNumber)?.int64Value ?? 0
        guard size <= Int64(maxBytes) else { throw Problem(description: "\(path) is \(size) bytes; the limit is \(maxBytes) bytes") }
        guard let handle = FileHandle(forReadingAtPath: target) else { throw Problem(description: "cannot read \(path)") }
        defer { try? handle.close() }
        // One byte past the limit tells a file that grew since it was measured.
        guard let data = try? handle.read(upToCount: maxBytes + 1) else { return Data() }
        guard data.count <= maxBytes else { throw Problem(description: "\(path) grew past the limit of \(maxBytes) bytes while being read") }
        return data
    }
}
