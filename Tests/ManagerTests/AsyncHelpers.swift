/// Runs `body` for each of `0..<n` at once, as concurrent child tasks, and returns when all have.
func concurrently(_ n: Int, _ body: @escaping @Sendable (Int) async -> Void) async {
    await withTaskGroup(of: Void.self) { group in
        for i in 0..<n { group.addTask { await body(i) } }
    }
}

extension Sequence {
    /// The elements transformed one after another by an async function.
    func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var out: [T] = []
        for element in self { out.append(try await transform(element)) }
        return out
    }

    /// Whether every element satisfies an async predicate.
    func asyncAllSatisfy(_ predicate: (Element) async throws -> Bool) async rethrows -> Bool {
        for element in self where !(try await predicate(element)) { return false }
        return true
    }
}
