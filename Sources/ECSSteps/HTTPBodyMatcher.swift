import Foundation

/// `expectBody` applied to an answer's first bytes, with a time budget so a pattern that backtracks without end cannot hold the step.
package struct HTTPBodyMatcher {
    /// The compiled pattern.
    package let expression: NSRegularExpression
    /// How long one match may run; past it the body counts as not matching.
    package var budget: Duration

    /// A matcher of `expression` with `budget` per body.
    package init(expression: NSRegularExpression, budget: Duration = .seconds(1)) {
        self.expression = expression
        self.budget = budget
    }

    /// Whether the body (decoded as UTF-8, invalid bytes replaced) has a match within the budget.
    package func matches(_ body: Data) -> Bool {
        let text = String(decoding: body, as: UTF8.self)
        let deadline = ContinuousClock.now + budget
        var found = false
        // reportProgress: ICU calls back while it works, so the budget is checked during a long match, not only after it.
        expression.enumerateMatches(in: text, options: [.reportProgress], range: NSRange(text.startIndex..., in: text)) { result, _, stop in
            if result != nil {
                found = true
                stop.pointee = true
            } else if ContinuousClock.now >= deadline {
                stop.pointee = true
            }
        }
        return found
    }
}
