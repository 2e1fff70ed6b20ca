import Foundation

extension Formula {
    /// Every formula pour knows about, specialised for one bottle tag, with the name indexes the CLI
    /// and the resolver look things up in.
    ///
    /// Lookup (`formula(named:)`) tries, in order — the order Homebrew's formulary uses for a bare
    /// name — and stops at the first hit:
    /// 1. the formula name (`openssl@3`);
    /// 2. a full name: the formula's `full_name`, or `homebrew/core/<name>` for core formulae;
    /// 3. an alias (`openssl` → `openssl@3`);
    /// 4. an old name left behind by a rename (`oldnames`, or legacy `oldname`).
    /// A current name therefore always wins over someone else's alias or old name. If nothing
    /// matches exactly, the same steps are retried on the lower-cased query (formula names are
    /// lower case; users sometimes type `OpenSSL`).
    ///
    /// Immutable value; safe to share across queues.
    public struct FormulaCatalog: Sendable {
        public let tag: Formula.BottleTag
        /// All formulae, in the order they were first added.
        public private(set) var formulae: [Formula]
        /// Entries that could not be used (not an object, no name, no stable version): reported,
        /// not fatal, so one broken formula does not block the other thousands.
        public let rejected: [RegistryError]

        private var byName: [String: Int]
        private var byFullName: [String: Int]
        private var byAlias: [String: Int]
        private var byOldname: [String: Int]

        /// Builds a catalogue from already specialised formulae. A later formula with the same name
        /// replaces an earlier one in place (fresher single-formula data overrides `formula.json`).
        public init(tag: Formula.BottleTag, formulae: [Formula], rejected: [RegistryError] = []) {
            var list: [Formula] = []
            list.reserveCapacity(formulae.count)
            var byName: [String: Int] = [:]
            byName.reserveCapacity(formulae.count)
            for formula in formulae {
                if let index = byName[formula.name] {
                    list[index] = formula
                } else {
                    byName[formula.name] = list.count
                    list.append(formula)
                }
            }
            var byFullName: [String: Int] = [:]
            var byAlias: [String: Int] = [:]
            var byOldname: [String: Int] = [:]
            for (index, formula) in list.enumerated() {
                byFullName[formula.fullName] = index
                byFullName["\(formula.tap)/\(formula.name)"] = index
                for alias in formula.aliases where byAlias[alias] == nil { byAlias[alias] = index }
                for oldname in formula.oldnames where byOldname[oldname] == nil { byOldname[oldname] = index }
            }
            self.tag = tag
            self.formulae = list
            self.rejected = rejected
            self.byName = byName
            self.byFullName = byFullName
            self.byAlias = byAlias
            self.byOldname = byOldname
        }

        /// Decodes `formula.json` (one `JSONDecoder` pass over the array, keeping only `tag`'s
        /// variations) and specialises every entry. Unusable entries land in `rejected`.
        public init(tag: Formula.BottleTag, formulaArray data: Data, source: String = "formula.json") throws(RegistryError) {
            let objects = try FormulaJSON.decodeArray(data, source: source, tag: tag)
            var formulae: [Formula] = []
            formulae.reserveCapacity(objects.count)
            var rejected: [RegistryError] = []
            for (index, object) in objects.enumerated() {
                guard let object else {
                    rejected.append(.malformedJSON(source: source, detail: "element \(index) is not a formula object"))
                    continue
                }
                do {
                    formulae.append(try FormulaSpecializer.formula(from: object, tag: tag))
                } catch {
                    rejected.append(error)
                }
            }
            self.init(tag: tag, formulae: formulae, rejected: rejected)
        }

        /// A copy with one `formula/<name>.json` document added (replacing a formula of that name).
        /// Unlike the array loader this throws: the caller asked for this very formula.
        public func adding(formulaObject data: Data, source: String) throws(RegistryError) -> Formula.FormulaCatalog {
            var copy = self
            try copy.add(formulaObject: data, source: source)
            return copy
        }

        /// `adding` in place, returning the formula added. A formula of a new name is appended and
        /// indexed as `init` would index it (it has the highest index: its full names win, its
        /// aliases and old names only where no earlier formula has them), so a catalogue grown one
        /// formula at a time (`FormulaFetcher`, without an index) costs O(1) per formula instead of
        /// a rebuild of every index: the rebuild made resolving 1,000 formulae O(n²), 16 % of
        /// such an install (Docs/Performance.md, "third pass"). Replacing a formula rebuilds.
        @discardableResult
        mutating func add(formulaObject data: Data, source: String) throws(RegistryError) -> Formula {
            let object = try FormulaJSON.decodeObject(data, source: source, tag: tag)
            let formula = try FormulaSpecializer.formula(from: object, tag: tag)
            guard byName[formula.name] == nil else {
                self = FormulaCatalog(tag: tag, formulae: formulae + [formula], rejected: rejected)
                return formula
            }
            let index = formulae.count
            formulae.append(formula)
            byName[formula.name] = index
            byFullName[formula.fullName] = index
            byFullName["\(formula.tap)/\(formula.name)"] = index
            for alias in formula.aliases where byAlias[alias] == nil { byAlias[alias] = index }
            for oldname in formula.oldnames where byOldname[oldname] == nil { byOldname[oldname] = index }
            return formula
        }

        public var count: Int { formulae.count }

        /// Canonical names, in catalogue order.
        public var names: [String] { formulae.map(\.name) }

        /// The formula `query` names (name, full name, alias or old name; see the type's notes).
        public func formula(named query: String) -> Formula? {
            index(of: query).map { formulae[$0] }
        }

        /// The canonical name for `query`, or nil.
        public func canonicalName(for query: String) -> String? {
            formula(named: query)?.name
        }

        /// Like `formula(named:)` but throws `.unknownFormula` with "did you mean" suggestions.
        public func resolve(_ query: String) throws(RegistryError) -> Formula {
            guard let formula = formula(named: query) else {
                // A formula refused at decode for an unsafe path name says so, not "unknown".
                for case let .unsafeName(name, field, value, reason) in rejected where name == query {
                    throw .unsafeName(formula: name, field: field, value: value, reason: reason)
                }
                throw .unknownFormula(name: query, suggestions: closeMatches(for: query))
            }
            return formula
        }

        /// Up to `limit` canonical names close to `query`, best first: names or aliases that extend
        /// (or are extended by) the query, and names within a small edit distance. Ties break by
        /// smaller length difference, then alphabetically, so the answer is stable.
        public func closeMatches(for query: String, limit: Int = 5) -> [String] {
            let needle = Array(query.lowercased().unicodeScalars)
            guard !needle.isEmpty, limit > 0 else { return [] }
            let threshold = max(2, needle.count / 3)
            var best: [String: (distance: Int, lengthGap: Int)] = [:]

            func consider(_ candidate: String, canonical: String) {
                let hay = Array(candidate.lowercased().unicodeScalars)
                let gap = abs(hay.count - needle.count)
                var distance: Int?
                if needle.count >= 3, hay.starts(with: needle) || needle.starts(with: hay) && hay.count >= 3 {
                    distance = 1  // "openss" → "openssl@3": a prefix is as good as one typo
                }
                if gap <= threshold, let edit = FormulaCatalog.editDistance(needle, hay, limit: threshold) {
                    distance = min(distance ?? edit, edit)
                }
                guard let distance, canonical != query else { return }
                if let existing = best[canonical], (existing.distance, existing.lengthGap) <= (distance, gap) { return }
                best[canonical] = (distance, gap)
            }
            for formula in formulae {
                consider(formula.name, canonical: formula.name)
                for alias in formula.aliases { consider(alias, canonical: formula.name) }
            }
            return best.sorted { lhs, rhs in
                (lhs.value.distance, lhs.value.lengthGap, lhs.key) < (rhs.value.distance, rhs.value.lengthGap, rhs.key)
            }.prefix(limit).map(\.key)
        }

        // MARK: Private

        private func index(of query: String) -> Int? {
            if let index = exactIndex(of: query) { return index }
            let lowered = query.lowercased()
            return lowered == query ? nil : exactIndex(of: lowered)
        }

        private func exactIndex(of query: String) -> Int? {
            if let index = byName[query] { return index }
            if let index = byFullName[query] { return index }
            if let index = byAlias[query] { return index }
            return byOldname[query]
        }

        /// Levenshtein distance, or nil once it must exceed `limit` (cheap rejection of far names).
        static func editDistance(_ a: [Unicode.Scalar], _ b: [Unicode.Scalar], limit: Int) -> Int? {
            if a.isEmpty { return b.count <= limit ? b.count : nil }
            if b.isEmpty { return a.count <= limit ? a.count : nil }
            var previous = Array(0...b.count)
            var current = [Int](repeating: 0, count: b.count + 1)
            for i in 1...a.count {
                current[0] = i
                var rowMinimum = current[0]
                for j in 1...b.count {
                    let substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)
                    current[j] = min(substitution, previous[j] + 1, current[j - 1] + 1)
                    rowMinimum = min(rowMinimum, current[j])
                }
                if rowMinimum > limit { return nil }
                swap(&previous, &current)
            }
            return previous[b.count] <= limit ? previous[b.count] : nil
        }
    }
}

package typealias FormulaCatalog = Formula.FormulaCatalog
