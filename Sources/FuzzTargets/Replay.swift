import Foundation

/// Runs fuzz inputs outside libFuzzer: the replay half of every fuzzer executable and of the regression tests.
public enum FuzzReplay {
    /// The input files under `path`: the file itself, or every regular file in the directory (sorted, hidden files skipped).
    public static func inputFiles(at path: String) -> [URL] {
        let url = URL(fileURLWithPath: path)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { return [] }
        guard isDirectory.boolValue else { return [url] }
        let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
        return names.filter { !$0.hasPrefix(".") }.sorted().map { url.appendingPathComponent($0) }.filter {
            var dir: ObjCBool = false
            return FileManager.default.fileExists(atPath: $0.path, isDirectory: &dir) && !dir.boolValue
        }
    }

    /// Runs each file (or each file of each directory) named on the command line through `entry`, then exits.
    public static func run(name: String, entry: ([UInt8]) -> Void) -> Never {
        exit(replay(arguments: Array(CommandLine.arguments.dropFirst()), name: name, entry: entry))
    }

    /// Runs each file (or each file of each directory) named in `arguments` through `entry`; returns the exit status.
    public static func replay(arguments: [String], name: String, entry: ([UInt8]) -> Void) -> Int32 {
        let paths = arguments.filter { !$0.hasPrefix("-") }
        guard !paths.isEmpty else {
            FileHandle.standardError.write(Data("usage: \(name) FILE|DIR...  (replays inputs; build with `make fuzz` to fuzz)\n".utf8))
            return 2
        }
        var count = 0
        for path in paths {
            let files = inputFiles(at: path)
            if files.isEmpty {
                FileHandle.standardError.write(Data("\(name): no input at \(path)\n".utf8))
                return 1
            }
            for file in files {
                guard let data = FileManager.default.contents(atPath: file.path) else {
                    FileHandle.standardError.write(Data("\(name): cannot read \(file.path)\n".utf8))
                    return 1
                }
                print("\(name): \(file.path) (\(data.count) bytes)")
                entry([UInt8](data))
                count += 1
            }
        }
        print("\(name): \(count) input(s) ran without a crash")
        return 0
    }
}
