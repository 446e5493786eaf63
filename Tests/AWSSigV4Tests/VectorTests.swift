import Testing
@testable import AWSSigV4

@Suite struct VectorPlaceholder {
    @Test func vectorsArePresent() {
        #expect(Bundle.module.url(forResource: "Vectors", withExtension: nil) != nil)
    }
}
import Foundation
